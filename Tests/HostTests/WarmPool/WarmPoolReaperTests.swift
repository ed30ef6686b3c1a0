import Foundation
import GRDB
import PluginKit
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// The reaper and emergency cleanup against real local workers.
@Suite("warm pool reaper and cleanup on the process backend", .serialized)
struct WarmPoolReaperTests {
  /// A project with one idle worker, made by one completed run.
  static func idleWorker() throws -> (WarmProject, StageRunRecord, String) {
    let warm = try WarmProject()
    let run = try warm.run()
    let worker = try #require(warm.workerID(of: run))
    #expect(try warm.store.worker(worker)?.state == .idleReady)
    return (warm, run, worker)
  }

  static func killWorker(_ warm: WarmProject, _ run: StageRunRecord) throws {
    let handle = try #require(warm.workerHandle(of: run))
    let mailbox = try #require(warm.mailbox(of: run))
    let worker = try #require(handle["worker_id"]?.stringValue)
    let status = try #require(warm.text(mailbox + "/workers/\(worker)/status.json"))
    if let agent = try JSONCoding.parse(status)["agent_pid"]?.intValue { kill(pid_t(agent), SIGKILL) }
    if let supervisor = handle["pid"]?.intValue { kill(pid_t(supervisor), SIGKILL) }
    try warm.waitUntil("the worker is dead") {
      WarmPool(services: try warm.services()).probe(try #require(try warm.store.worker(worker))).liveness == .dead
    }
  }

  @Test("5.7 #25 a dead worker is deleted on the third dead answer in a row, not before")
  func deadWorker() throws {
    let (warm, run, worker) = try Self.idleWorker()
    defer { warm.tearDown() }
    try Self.killWorker(warm, run)
    let reaper = WarmPoolReaper(services: try warm.services())
    try reaper.reap()
    try reaper.reap()
    let row = try #require(try warm.store.worker(worker))
    #expect(row.state == .idleReady && row.deadCount == 2)
    let pass = try reaper.reap()
    #expect(pass.deletionRequested == [worker] && pass.deleted == [worker])
    #expect(try warm.store.worker(worker) == nil)
  }

  @Test("5.7 #25 a probe that cannot tell (error) neither counts nor marks a live worker gone")
  func probeErrors() throws {
    let (warm, _, worker) = try Self.idleWorker()
    defer { warm.tearDown() }
    let real = try #require(try warm.store.worker(worker)?.workerHandle)
    // A handle the backend cannot read: every probe answers "error".
    try warm.store.write { db in
      try db.execute(
        sql: "UPDATE warm_workers SET worker_handle = '{\"worker_id\": 7}' WHERE worker_id = ?", arguments: [worker])
    }
    let reaper = WarmPoolReaper(services: try warm.services())
    for _ in 0..<5 { try reaper.reap() }
    let row = try #require(try warm.store.worker(worker))
    #expect(row.state == .idleReady && row.notFoundCount == 0 && row.deadCount == 0)
    try warm.store.write { db in
      try db.execute(sql: "UPDATE warm_workers SET worker_handle = ? WHERE worker_id = ?", arguments: [real, worker])
    }
  }

  @Test("5.7 #28 a busy row whose run already ended is released; one whose run is gone is deleted")
  func busyRowsOfEndedRuns() throws {
    let (warm, run, worker) = try Self.idleWorker()
    defer { warm.tearDown() }
    let reaper = WarmPoolReaper(services: try warm.services())
    // As if the executor died after assigning the worker to a run that then ended.
    #expect(try warm.store.transitionWorker(worker, .jobAssigned, runID: run.id, source: "test").moved)
    let pass = try reaper.reap()
    #expect(pass.returnedToPool == [worker])
    #expect(try warm.store.worker(worker)?.state == .idleReady)
    #expect(try warm.store.transitionWorker(worker, .jobAssigned, runID: "stage-purged", source: "test").moved)
    try reaper.reap()
    #expect(try warm.store.worker(worker) == nil)
  }

  @Test("5.7 #18 #34 a launch past its budget and a drain past 30 minutes are deleted")
  func stranded() throws {
    let (warm, run, worker) = try Self.idleWorker()
    defer { warm.tearDown() }
    let key = CompatibilityKey(backend: "process", fields: ["cpus": .double(1)], allowedZones: nil)
    let stranded = WarmWorkerReservation(
      workerID: "gw-stranded", backend: "process", key: key, profile: nil, runID: "stage-stranded",
      idleTimeoutSeconds: 600, lifetimeSeconds: 3600)
    // Its run is still active (preparing), so only the launch budget can end the row.
    try warm.store.createStageRun(
      StageRunRecord(
        id: "stage-stranded", workspace: "warm", version: 1, pipeline: "pipeline", stage: "hello", reason: goodReason))
    _ = try warm.store.reserveWorker(stranded, cap: 5)
    #expect(try warm.store.transitionWorker(worker, .jobAssigned, runID: run.id, source: "test").moved)
    #expect(try warm.store.transitionWorker(worker, .deliveryRefused, source: "test").moved)
    let reaper = WarmPoolReaper(services: try warm.services())
    // Young rows are left alone (the drain settles: the worker says idle).
    let early = try reaper.reap()
    #expect(!early.deletionRequested.contains("gw-stranded"))
    #expect(try warm.store.worker(worker)?.state == .idleReady)
    #expect(try warm.store.transitionWorker(worker, .jobAssigned, runID: run.id, source: "test").moved)
    #expect(try warm.store.transitionWorker(worker, .deliveryRefused, source: "test").moved)
    let late = try reaper.reap(now: Date().addingTimeInterval(31 * 60 + 2700))
    #expect(Set(late.deletionRequested) == ["gw-stranded", worker])
    #expect(try warm.store.workers().isEmpty)
  }

  @Test("the lifetime cap deletes an idle worker but never a busy one")
  func lifetime() throws {
    let warm = try WarmProject(idleTimeoutSeconds: 86_400, lifetimeSeconds: 60)
    defer { warm.tearDown() }
    let a = try warm.run()
    let busy = try #require(warm.workerID(of: a))
    let b = try warm.run(overrides: ["compute.profile": .string("cpu-large")])
    let idle = try #require(warm.workerID(of: b))
    // One worker holds a run still in progress.
    try warm.store.createStageRun(
      StageRunRecord(
        id: "stage-inflight", workspace: "warm", version: 1, pipeline: "pipeline", stage: "hello", reason: goodReason))
    #expect(try warm.store.transitionWorker(busy, .jobAssigned, runID: "stage-inflight", source: "test").moved)
    let pass = try WarmPoolReaper(services: try warm.services()).reap(now: Date().addingTimeInterval(120))
    #expect(pass.deletionRequested == [idle])
    #expect(try warm.store.worker(idle) == nil)
    #expect(try warm.store.worker(busy)?.state == .busy)
  }

  @Test("only the holder of the leader lease reaps")
  func leaderLease() throws {
    let (warm, _, _) = try Self.idleWorker()
    defer { warm.tearDown() }
    try warm.store.write { db in
      try db.execute(
        sql: "INSERT INTO leases (name, holder, expires_at) VALUES (?, 'another-process', '2999-01-01T00:00:00.000Z')",
        arguments: [WarmPoolReaper.leaseName])
    }
    let reaper = WarmPoolReaper(services: try warm.services())
    #expect(try reaper.reapIfLeader().ran == false)
    try warm.store.expireLeaseForTesting(WarmPoolReaper.leaseName)
    #expect(try reaper.reapIfLeader().ran == true)
    #expect(try reaper.reapIfLeader().ran == true)  // renewing its own lease
  }

  @Test("warm_pool_cleanup deletes every pooled worker and the project's workers without a row")
  func cleanup() throws {
    let (warm, _, worker) = try Self.idleWorker()
    let services = try warm.services()
    // A worker the pool lost track of: launched directly, with the project's label.
    let work = TestEnvironment.temporaryFolder("untracked")
    let spec = RunSpec(
      runId: "stage-untracked", command: ["/bin/sh", "-c", "echo lost"], workDir: work, outputsDir: work + "/outputs",
      labels: ["goldfish-project": "demo"],
      worker: WorkerOptions(keepWarm: true, idleTimeoutSeconds: 600, workerId: "gw-untracked"))
    _ = try services.backend.call("launch", try JSONCoding.value(of: spec))

    let result = try WarmPoolCleanup(services: services).run(reason: "end of the experiment")
    #expect(result.success)
    #expect(Set(result.deleted) == [worker, "gw-untracked"])
    #expect(result.remaining == 0 && result.remainingInstances.isEmpty && result.deletionPending.isEmpty)
    #expect(try warm.store.workers().isEmpty)
    let listed = try services.backend.call("list_workers", ["labels": ["goldfish-project": "demo"]])["workers"]
    #expect(listed?.arrayValue?.isEmpty == true)
  }

  @Test("pool status counts rows by state, in the report and in the project status")
  func report() throws {
    let (warm, _, worker) = try Self.idleWorker()
    defer { warm.tearDown() }
    let report = try WarmPoolReport(pool: WarmPool(services: try warm.services()))
    #expect(report.enabled && report.backendSupportsReuse && report.total == 1)
    #expect(report.counts["idle_ready"] == 1 && report.counts["busy"] == 0)
    #expect(report.instances.first?["worker_id"]?.stringValue == worker)
    #expect(try ProjectStatus(project: warm.project).warmPool["idle_ready"] == 1)
  }
}

@Suite("goldfish pool status|cleanup")
struct WarmPoolCLITests {
  @Test("pool status and cleanup through the real CLI, with --json, and the pool line in status")
  func cli() throws {
    let (warm, _, worker) = try WarmPoolReaperTests.idleWorker()
    defer { warm.tearDown() }
    let status = Command.goldfish(["pool", "status", "--json"], cwd: warm.fixture.root)
    #expect(status.status == 0, "\(status.stderr)")
    let report = try #require(try status.json() as? [String: Any])
    #expect(report["enabled"] as? Bool == true && report["total"] as? Int == 1)
    #expect((report["by_state"] as? [String: Int])?["idle_ready"] == 1)
    let text = Command.goldfish(["pool", "status"], cwd: warm.fixture.root)
    #expect(text.stdout.contains("warm pool (process): 1/2") && text.stdout.contains(worker), "\(text.stdout)")
    #expect(Command.goldfish(["status"], cwd: warm.fixture.root).stdout.contains("Warm pool: 1 idle_ready"))

    let cleanup = Command.goldfish(["pool", "cleanup", "--json", "--reason", "done with it"], cwd: warm.fixture.root)
    #expect(cleanup.status == 0, "\(cleanup.stderr)")
    let result = try #require(try cleanup.json() as? [String: Any])
    #expect(result["success"] as? Bool == true && result["deleted"] as? [String] == [worker])
    #expect(result["remaining"] as? Int == 0 && result["remaining_instances"] as? [String] == [])
    #expect(try warm.store.workers().isEmpty)
  }
}

@Suite("the reaper in long-lived processes")
struct WarmPoolServeReaperTests {
  @Test("goldfish serve reaps on its own timer: an idle worker past its timeout is deleted with no tool call")
  func serveReaps() throws {
    let warm = try WarmProject(idleTimeoutSeconds: 1)
    defer { warm.tearDown() }
    let run = try warm.run()
    let worker = try #require(warm.workerID(of: run))
    // This test process reaped while driving the run; let another process lead.
    try warm.store.expireLeaseForTesting(WarmPoolReaper.leaseName)
    let serve = Process()
    serve.executableURL = URL(fileURLWithPath: TestEnvironment.goldfish)
    serve.arguments = ["serve"]
    serve.currentDirectoryURL = URL(fileURLWithPath: warm.fixture.root)
    let input = Pipe()
    serve.standardInput = input
    serve.standardOutput = FileHandle.nullDevice
    serve.standardError = FileHandle.nullDevice
    try serve.run()
    defer {
      // SIGKILL: a process started from a test thread may inherit a mask that blocks SIGTERM.
      try? input.fileHandleForWriting.close()
      kill(serve.processIdentifier, SIGKILL)
      serve.waitUntilExit()
    }
    try warm.waitUntil("goldfish serve deleted the idle worker") { try warm.store.worker(worker) == nil }
    #expect(try warm.store.workerTransitions(worker).last?.event == "delete_confirmed")
    #expect(try warm.store.workerTransitions(worker).last?.source == "reaper")
  }
}
