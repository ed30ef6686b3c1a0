import Foundation
import PluginKit
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// DAG scheduling, the sandbox of local runs, and a full disk, on the process backend.
@Suite("execution guards", .serialized)
struct ExecutionGuardTests {
  /// A pipeline a → (b, c) → d where b and c each take a second.
  static func diamond(_ fixture: ProjectFixture) throws {
    try fixture.write(
      "pipeline.yaml",
      """
      name: pipeline
      stages:
        - name: a
          outputs: {x: {type: file, schema: null}}
        - name: b
          inputs: {x: {type: file, from_stage: a, schema: null}}
          outputs: {y: {type: file, schema: null}}
        - name: c
          inputs: {x: {type: file, from_stage: a, schema: null}}
          outputs: {z: {type: file, schema: null}}
        - name: d
          inputs:
            y: {type: file, from_stage: b, schema: null}
            z: {type: file, from_stage: c, schema: null}
          outputs: {w: {type: file, schema: null}}
      """)
    let write = { (name: String, body: String) in
      try fixture.write(
        "modules/\(name).py", "import time\nfrom goldfish.io import get_output_path, save_output\n\(body)\n")
    }
    try write("a", "open(get_output_path('x'), 'w').write('x')")
    try write("b", "time.sleep(1)\nopen(get_output_path('y'), 'w').write('y')")
    try write("c", "time.sleep(1)\nopen(get_output_path('z'), 'w').write('z')")
    try write("d", "open(get_output_path('w'), 'w').write('w')")
  }

  @Test("independent stages run at the same time; dependants wait for both")
  func parallelBranches() throws {
    let fixture = try ProjectFixture()
    try fixture.mountedWorkspace()
    try Self.diamond(fixture)
    let (pipelineRun, runs) = try SamplePipeline.run(fixture)
    #expect(pipelineRun.status == "completed", "\(runs.map { "\($0.stage) \($0.state) \($0.error ?? "")" })")
    let store = fixture.project.store
    func window(_ stage: String) throws -> (String, String) {
      let run = try #require(runs.first { $0.stage == stage })
      let transitions = try store.transitions(of: run.id)
      let start = try #require(transitions.first { $0.toState == "running" }?.createdAt)
      let end = try #require(transitions.first { $0.toState == "post_run" }?.createdAt)
      return (start, end)
    }
    let b = try window("b")
    let c = try window("c")
    let d = try window("d")
    #expect(b.0 < c.1 && c.0 < b.1, "b \(b) and c \(c) did not overlap")
    #expect(d.0 > b.1 && d.0 > c.1, "d started before its inputs were ready")
  }

  @Test("with max_parallel_stages 1, independent stages run one after the other")
  func parallelLimit() throws {
    let fixture = try ProjectFixture { root in
      try "project_name: demo\njobs:\n  max_parallel_stages: 1\n".write(
        toFile: root + "/goldfish.yaml", atomically: true, encoding: .utf8)
    }
    try fixture.mountedWorkspace()
    try Self.diamond(fixture)
    let (_, runs) = try SamplePipeline.run(fixture)
    let store = fixture.project.store
    let b = try store.transitions(of: runs.first { $0.stage == "b" }!.id)
    let c = try store.transitions(of: runs.first { $0.stage == "c" }!.id)
    let bStart = b.first { $0.toState == "running" }!.createdAt, bEnd = b.first { $0.toState == "post_run" }!.createdAt
    let cStart = c.first { $0.toState == "running" }!.createdAt, cEnd = c.first { $0.toState == "post_run" }!.createdAt
    #expect(bEnd <= cStart || cEnd <= bStart, "b and c overlapped despite the limit of 1")
  }

  @Test("the sandbox keeps a stage from writing outside its folder and from the network")
  func sandbox() throws {
    let fixture = try ProjectFixture()
    try fixture.mountedWorkspace()
    let outside = TestEnvironment.temporaryFolder("outside")
    try fixture.write(
      "pipeline.yaml",
      "name: pipeline\nstages:\n  - name: probe\n    outputs: {report: {type: file, schema: null}}\n")
    try fixture.write(
      "modules/probe.py",
      """
      import os, socket
      from goldfish.io import get_output_path
      results = []
      for target in [\(String(reflecting: outside + "/escaped.txt")), os.path.join(os.getcwd(), "modules", "new.py")]:
          try:
              open(target, "w").write("x")
              results.append("wrote " + target)
          except OSError:
              results.append("refused " + target)
      try:
          socket.create_connection(("127.0.0.1", 1), timeout=1)
          results.append("network open")
      except OSError as error:
          results.append("network closed: " + type(error).__name__)
      open(get_output_path("report"), "w").write("\\n".join(results))
      """)
    let (_, runs) = try SamplePipeline.run(fixture)
    let run = try #require(runs.first)
    #expect(run.state == .awaitingUserFinalization, "\(run.error ?? "")")
    let report = try String(contentsOfFile: run.workDir! + "/outputs/report", encoding: .utf8)
    #expect(!FileManager.default.fileExists(atPath: outside + "/escaped.txt"), "\(report)")
    #expect(report.contains("refused \(outside)/escaped.txt"), "\(report)")
    #expect(!report.contains("wrote"), "\(report)")
    #expect(report.contains("network closed"), "\(report)")
  }

  @Test(
    "a full disk while storing outputs fails the run cleanly and keeps earlier artifacts",
    .enabled(if: getuid() == 0, "mounting a small file system needs root"))
  func fullDisk() throws {
    let fixture = try SamplePipeline.project()
    let (_, first) = try SamplePipeline.run(fixture)
    #expect(first.allSatisfy { $0.state == .awaitingUserFinalization })
    let storage = fixture.project.paths.devDir + "/storage-small"
    try FileManager.default.createDirectory(atPath: storage, withIntermediateDirectories: true)
    #expect(Command.run(["/bin/mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", storage]).status == 0)
    defer { _ = Command.run(["/bin/umount", storage]) }
    try "project_name: demo\nfile:\n  root: .goldfish/storage-small\n".write(
      toFile: fixture.root + "/goldfish.yaml", atomically: true, encoding: .utf8)
    try fixture.write(
      "modules/preprocess.py",
      "from goldfish.io import get_output_path, save_output\nopen(get_output_path('features'), 'wb').write(b'0' * (1 << 20))\n"
    )
    let (pipelineRun, runs) = try SamplePipeline.run(ProjectFixture.reopened(fixture))
    #expect(pipelineRun.status == "failed")
    #expect(runs[0].state == .failed)
    #expect(runs[0].error?.contains("disk is full") == true, "\(runs[0].error ?? "")")
    // Nothing half-recorded: no lineage row, no outputs summary, no partial object left behind.
    #expect(try fixture.project.store.signals(of: runs[0].id).filter { $0.direction == "output" }.isEmpty)
    #expect(runs[0].outputs == nil)
    #expect(OutputRecorder.files(in: storage + "/runs/\(runs[0].id)/outputs").isEmpty)
    let earlier = try #require(try fixture.project.store.signals(of: first[2].id).first { $0.signal == "report" }?.uri)
    #expect(FileManager.default.fileExists(atPath: String(earlier.dropFirst("file://".count))))
  }
}
