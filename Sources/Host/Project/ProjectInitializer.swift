import Foundation
import PluginKit

extension GoldfishError.Code {
  public static let projectExists = Self("project_exists")
}

/// `goldfish init`: the project folder (goldfish.yaml, STATE.md, slots) and its hidden dev
/// folder (version repository and database).
public struct ProjectInitializer: Sendable {
  public struct Outcome: Sendable, Codable {
    public var root: String
    public var backend: String
    public var backendReason: String
    public var slots: [String]

    enum CodingKeys: String, CodingKey {
      case root, backend
      case backendReason = "backend_reason"
      case slots
    }
  }

  public var name: String
  public var path: String
  public var from: String?
  /// Names of the implemented run backends the plugins offer.
  public var availableBackends: Set<String>
  public var dockerSocket: String = DockerProbe.socketPath()

  public init(name: String, path: String?, from: String?, availableBackends: Set<String>) {
    self.name = name
    self.path =
      URL(
        fileURLWithPath: path ?? name, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
      ).standardizedFileURL.path
    self.from = from
    self.availableBackends = availableBackends
  }

  public func run() throws(GoldfishError) -> Outcome {
    try Names.workspace(name)
    let manager = FileManager.default
    if manager.fileExists(atPath: path + "/goldfish.yaml") {
      throw GoldfishError(
        .projectExists, "\(path) is already a Goldfish project; nothing was changed",
        hint: "open it with --project \(path), or pick another --path")
    }
    let existing = (try? manager.contentsOfDirectory(atPath: path)) ?? []
    guard existing.isEmpty else {
      throw GoldfishError(
        .projectExists, "\(path) is not empty; nothing was changed",
        hint: "init into a new folder; bring code in with --from \(path)")
    }
    let source = try from.map { source throws(GoldfishError) in try Self.checkSource(source) }
    let (backend, why) = chooseBackend()
    let config = GoldfishConfig(projectName: name)
    let settings = ProjectSettings(config: config)
    let paths = ProjectPaths(root: path, settings: settings)
    let createdRoot = !manager.fileExists(atPath: path)
    do {
      for folder in [path, paths.workspacesDir, paths.devDir, paths.locks, paths.runs] {
        try manager.createDirectory(atPath: folder, withIntermediateDirectories: true)
      }
      // The engine the choice was made on is the one runs and image builds use: written down, so
      // a later DOCKER_HOST (or none) does not send them to another engine.
      let socket = backend == "docker" ? dockerSocket : nil
      try ConfigTemplate.render(name: name, backend: backend, reason: why, slots: settings.slots, dockerSocket: socket)
        .write(toFile: paths.config, atomically: true, encoding: .utf8)
    } catch {
      cleanUp(createdRoot: createdRoot)
      throw GoldfishError(.ioFailed, "cannot create the project in \(path): \(error.localizedDescription)")
    }
    do throws(GoldfishError) {
      let repository = try GitRepository.create(at: paths.repository)
      let initial: String
      if let source { initial = source } else { initial = try Self.skeleton(in: paths.devDir) }
      _ = try repository.commitDirectory(
        initial, branch: WorkspaceManager.mainBranch,
        message: from.map { "Initial files from \($0)" } ?? "Initial project files",
        ignore: IgnoreRules(patterns: IgnoreRules.defaultPatterns).adding(gitignoreAt: initial + "/.gitignore"),
        maxFileBytes: settings.maxFileBytes, excluding: [])
      if source == nil { try? manager.removeItem(atPath: initial) }
      let store = try ProjectStore.open(path: paths.database)
      let location = ProjectLocation(root: path)
      let project = Project(
        location: location, config: config, plugins: try PluginHost.start(project: location), paths: paths,
        store: store, repository: repository)
      try project.journal.record(
        "init", reason: "initialize project \(name) with the \(backend) backend",
        details: ["backend": .string(backend), "from": from.map { .string($0) } ?? .null])
    } catch {
      cleanUp(createdRoot: createdRoot)
      throw error
    }
    return Outcome(root: path, backend: backend, backendReason: why, slots: settings.slots)
  }

  /// docker when an engine answers and a docker backend is available; otherwise process.
  func chooseBackend() -> (String, String) {
    let engine = DockerProbe.answers(socket: dockerSocket)
    if engine && availableBackends.contains("docker") {
      return ("docker", "a Docker engine answers at \(dockerSocket)")
    }
    if engine {
      return (
        "process", "a Docker engine answers at \(dockerSocket), but no docker run backend is available in this build"
      )
    }
    return ("process", "no Docker engine answers at \(dockerSocket); stages run as local processes")
  }

  private func cleanUp(createdRoot: Bool) {
    let manager = FileManager.default
    if createdRoot {
      try? manager.removeItem(atPath: path)
    } else {
      for entry in (try? manager.contentsOfDirectory(atPath: path)) ?? [] {
        try? manager.removeItem(atPath: path + "/" + entry)
      }
    }
  }

  private static func checkSource(_ source: String) throws(GoldfishError) -> String {
    let resolved = URL(fileURLWithPath: source).standardizedFileURL.path
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: resolved, isDirectory: &isDirectory), isDirectory.boolValue else {
      throw GoldfishError(
        .notFound, "--from \(source) is not a folder", hint: "point --from at the folder of your code")
    }
    return resolved
  }

  /// The files every workspace starts from when init has no --from.
  private static func skeleton(in devDir: String) throws(GoldfishError) -> String {
    let folder = devDir + "/skeleton-\(getpid())"
    let files = [
      "modules/README.md": "Stage code: one Python module per stage, modules/<stage>.py.\n",
      "configs/README.md": "Stage configs: configs/<stage>.yaml (compute.profile, parameters).\n",
      ".gitignore": "__pycache__/\n*.pyc\n.venv/\n",
    ]
    do {
      for (name, content) in files {
        let file = folder + "/" + name
        try FileManager.default.createDirectory(
          atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try content.write(toFile: file, atomically: true, encoding: .utf8)
      }
    } catch {
      throw GoldfishError(.ioFailed, "cannot write the initial files: \(error.localizedDescription)")
    }
    return folder
  }
}
