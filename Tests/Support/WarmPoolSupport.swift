import Foundation
import GRDB
import PluginKit
import Testing

@testable import Host

/// A project on the process backend with its warm pool on, and the two-stage pipeline of
/// Tests/Fixtures/WarmPipeline (`hello` says its run id; `sleeper` waits two minutes).
struct WarmProject {
  static let pipeline = TestEnvironment.packageRoot + "/Tests/Fixtures/WarmPipeline"

  let fixture: ProjectFixture
  var project: Project { fixture.project }
  var store: ProjectStore { fixture.project.store }

  /// The backend whose workers the pool keeps: `process` (agents as processes) or `docker`
  /// (agents in long-lived containers on the engine at DOCKER_HOST).
  let backend: String

  init(
    maxInstances: Int = 2, idleTimeoutSeconds: Int = 600, lifetimeSeconds: Int = 3600, backend: String = "process"
  ) throws {
    self.backend = backend
    fixture = try ProjectFixture(from: Self.pipeline) { root in
      let path = root + "/goldfish.yaml"
      var text = try String(contentsOfFile: path, encoding: .utf8)
      var section = "process:"
      if backend == "docker" {
        text = text.replacingOccurrences(of: "  backend: process", with: "  backend: docker")
        section = "docker:\n  socket: \(DockerSupport.socket)\n  base_images:\n    cpu: \(DockerSupport.image)"
      }
      let pool = """

        \(section)
          warm_pool:
            enabled: true
            max_instances: \(maxInstances)
            idle_timeout_seconds: \(idleTimeoutSeconds)
            lifetime_seconds: \(lifetimeSeconds)

        """
      try (text + pool).write(toFile: path, atomically: true, encoding: .utf8)
    }
    _ = try fixture.project.workspaces.create(name: "warm", goal: "exercise the warm pool", reason: goodReason)
    _ = try fixture.project.workspaces.mount("warm", slot: "w1", reason: goodReason)
  }

  func services() throws -> ExecutionServices { try ExecutionServices.open(project) }

  /// Starts one pipeline run of `stages` (never reusing an earlier run's outputs).
  func start(_ stages: [String], overrides: [String: JSONValue] = [:]) throws -> String {
    try Executor(services: try services()).start(
      RunRequest(target: "w1", stages: stages, configOverrides: overrides, reason: goodReason, rerun: true)
    ).pipelineRunID
  }

  func drive(_ pipelineRunID: String) throws -> [StageRunRecord] {
    let final = try PipelineDriver(services: try services(), pipelineRunID: pipelineRunID).drive()
    return try store.stageRuns(ofPipelineRun: final.id)
  }

  /// Runs `stages` to the end and returns the stage run of the first one.
  func run(_ stages: [String] = ["hello"], overrides: [String: JSONValue] = [:]) throws -> StageRunRecord {
    let runs = try drive(try start(stages, overrides: overrides))
    return try #require(runs.first)
  }

  /// Drives a pipeline run on a background thread; the returned group is left when it ends.
  func driveInBackground(_ pipelineRunID: String) -> DispatchGroup {
    let group = DispatchGroup()
    group.enter()
    let services = try? self.services()
    Thread.detachNewThread {
      if let services { _ = try? PipelineDriver(services: services, pipelineRunID: pipelineRunID).drive() }
      group.leave()
    }
    return group
  }

  func stageRun(of pipelineRunID: String) throws -> StageRunRecord {
    try #require(try store.stageRuns(ofPipelineRun: pipelineRunID).first)
  }

  /// Polls until `condition` holds (a run reaching a state, a row appearing), up to a minute.
  func waitUntil(_ what: String, _ condition: () throws -> Bool) throws {
    let deadline = Date().addingTimeInterval(60)
    while Date() < deadline {
      if try condition() { return }
      usleep(50_000)
    }
    Issue.record("timed out waiting until \(what)")
    throw GoldfishError(.ioFailed, "timed out waiting until \(what)")
  }

  /// The worker handle a run was dispatched to, from its stored run handle.
  func workerHandle(of run: StageRunRecord) -> JSONValue? {
    let current = (try? store.stageRun(run.id)) ?? run
    return current.backendHandle.flatMap { try? JSONCoding.parse($0) }?["worker"]
  }

  func workerID(of run: StageRunRecord) -> String? { workerHandle(of: run)?["worker_id"]?.stringValue }

  /// The mailbox folder every local worker shares.
  func mailbox(of run: StageRunRecord) -> String? {
    workerHandle(of: run)?["mailbox"]?.stringValue.map { $0.hasPrefix("file://") ? String($0.dropFirst(7)) : $0 }
  }

  func text(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

  /// How many workers the pool ever reserved (fresh launches), from the audit trail.
  func reservations() throws -> Int {
    try store.read { db in
      try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM warm_worker_transitions WHERE event = 'reserved'") ?? 0
    }
  }

  /// Emergency cleanup at the end of a test, so no agent outlives it.
  func tearDown() {
    if let services = try? services() { _ = try? WarmPoolCleanup(services: services).run(reason: "test over") }
  }
}

extension WarmProject {
  /// A warm project over an already configured fixture (another backend's pool section).
  init(fixture: ProjectFixture, backend: String = "gce") {
    self.fixture = fixture
    self.backend = backend
  }
}

/// The largest value seen, from one polling thread.
final class MaxTally: @unchecked Sendable {
  private(set) var value = 0
  func see(_ next: Int) { value = max(value, next) }
}
