import Foundation

@testable import Host

/// A fresh project made by the real initializer, in a temp folder.
struct ProjectFixture {
  let root: String
  let project: Project

  init(from: String? = nil, configure: ((String) throws -> Void)? = nil) throws {
    let parent = TestEnvironment.temporaryFolder("project")
    root = parent + "/demo"
    _ = try ProjectInitializer(name: "demo", path: root, from: from, availableBackends: ["process"]).run()
    try configure?(root)
    project = try Project.open(ProjectLocation(root: root))
  }

  func reopen() throws -> Project { try Project.open(ProjectLocation(root: root)) }

  private init(root: String, project: Project) {
    self.root = root
    self.project = project
  }

  /// The same project opened again, after goldfish.yaml changed.
  static func reopened(_ fixture: ProjectFixture) throws -> ProjectFixture {
    ProjectFixture(root: fixture.root, project: try fixture.reopen())
  }

  func slot(_ name: String) -> String { project.paths.slot(name) }

  func write(_ relative: String, _ text: String, slot: String = "w1") throws {
    let path = self.slot(slot) + "/" + relative
    try FileManager.default.createDirectory(
      atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try text.write(toFile: path, atomically: true, encoding: .utf8)
  }

  func read(_ relative: String, slot: String = "w1") -> String? {
    try? String(contentsOfFile: self.slot(slot) + "/" + relative, encoding: .utf8)
  }

  /// A workspace created from the initial files and mounted in w1.
  func mountedWorkspace(_ name: String = "baseline", slot: String = "w1") throws {
    _ = try project.workspaces.create(name: name, goal: "find a baseline", reason: "start the first experiment")
    _ = try project.workspaces.mount(name, slot: slot, reason: "work on the baseline now")
  }
}

let goodReason = "a reason long enough to pass"
