import Foundation
import GRDB
import PluginKit
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// More upstream §5.7 scenarios (reference/upstream-cloud.md) on the host's pool, with real
/// goldfish-agent workers on the process backend and the real project database.
@Suite("warm pool: §5.7 scenarios on the process backend", .serialized)
struct WarmPoolScenarioTests {
  /// Processes whose command line names `text` (a worker's agent and supervisor carry its
  /// folder in their arguments; an exited one, a zombie, has an empty command line).
  static func processes(mentioning text: String) -> [pid_t] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { entry -> pid_t? in
      guard let pid = pid_t(entry), let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline"),
        String(decoding: data, as: UTF8.self).contains(text)
      else { return nil }
      return pid
    }
  }

  @Test(
    "5.7 #30 a worker the pool fails to record is deleted at once, never left running unaccounted",
    arguments: [
      // The registration (launching → busy) is refused…
      "BEFORE UPDATE OF state ON warm_workers WHEN OLD.state = 'launching' AND NEW.state = 'busy'",
      // …or even the worker's handle cannot be written.
      "BEFORE UPDATE OF worker_handle ON warm_workers WHEN NEW.worker_handle IS NOT NULL",
    ])
  func registrationFailure(fault: String) throws {
    let warm = try WarmProject()
    defer { warm.tearDown() }
    try warm.store.write { db in
      try db.execute(sql: "CREATE TRIGGER injected_fault \(fault) BEGIN SELECT RAISE(ABORT, 'injected fault'); END")
    }
    let run = try warm.run(["sleeper"])
    #expect(run.state == .failed, "\(run.state)")
    #expect(try warm.reservations() == 1)
    let worker = WarmPool.workerID(forRun: run.id)
    // The worker was launched and the host stopped it right away: no process of it is left
    // (the sleeper of the failed run does not run on for two minutes).
    try warm.waitUntil("no process of the unrecorded worker is left") { Self.processes(mentioning: worker).isEmpty }
    let reasons = try warm.store.workerTransitions(worker).compactMap(\.reason)
    #expect(reasons.contains { $0.contains("could not be registered") }, "\(reasons)")
    try warm.store.write { db in try db.execute(sql: "DROP TRIGGER injected_fault") }
    // The row, if one is left, only waits for the deletion to be confirmed.
    let reaper = WarmPoolReaper(services: try warm.services())
    try warm.waitUntil("the row is dropped") {
      try reaper.reap()
      return try warm.store.worker(worker) == nil
    }
    let events = try warm.store.workerTransitions(worker).map(\.event)
    #expect(events.contains("launch_failed") && !events.contains("registered"), "\(events)")
    // Nothing of this worker can be claimed: the next run launches a new one.
    let next = try warm.run()
    #expect(next.state == .awaitingUserFinalization, "\(next.error ?? "")")
    #expect(warm.workerID(of: next) != worker)
  }

  @Test("5.7 #35 a busy worker that says idle and never claimed its run is deleted after the pickup budget")
  func assignedButNeverPickedUp() throws {
    let (warm, a, worker) = try WarmPoolReaperTests.idleWorker()
    defer { warm.tearDown() }
    let handleA = try #require(try warm.store.stageRun(a.id)?.backendHandle.flatMap { try JSONCoding.parse($0) })
    // A run assigned to the worker whose job never reached it: its handle names the worker,
    // and the mailbox has neither its job, its claim nor its exit.
    var ghostHandle = try #require(handleA.objectValue)
    ghostHandle["run_id"] = "stage-ghost"
    var ghost = StageRunRecord(
      id: "stage-ghost", workspace: "warm", version: 1, pipeline: "pipeline", stage: "hello", reason: goodReason)
    ghost.backendHandle = try JSONCoding.encode(JSONValue.object(ghostHandle))
    try warm.store.createStageRun(ghost)
    #expect(try warm.store.transitionWorker(worker, .jobAssigned, runID: ghost.id, source: "test").moved)
    let backend = try warm.services().backend
    #expect(try backend.call("status", ["handle": .object(ghostHandle)], as: RunStatus.self).state == .pending)

    let reaper = WarmPoolReaper(services: try warm.services())
    // Within the budget the pickup may still come: nothing happens.
    let early = try reaper.reap(now: Date().addingTimeInterval(200))
    #expect(early.deletionRequested.isEmpty)
    #expect(try warm.store.worker(worker)?.state == .busy)

    // A run the worker did pick up (it finished; the host has not noticed yet) is no reason:
    // its status is not pending. The same worker, assigned to such a run, stays.
    var picked = StageRunRecord(
      id: "stage-picked", workspace: "warm", version: 1, pipeline: "pipeline", stage: "hello", reason: goodReason)
    picked.backendHandle = try JSONCoding.encode(handleA)
    try warm.store.createStageRun(picked)
    try warm.store.write { db in
      try db.execute(
        sql: "UPDATE warm_workers SET lease_run_id = 'stage-picked' WHERE worker_id = ?", arguments: [worker])
    }
    let notPickup = try reaper.reap(now: Date().addingTimeInterval(301))
    #expect(notPickup.deletionRequested.isEmpty)
    #expect(try warm.store.worker(worker)?.leaseRunID == "stage-picked")

    try warm.store.write { db in
      try db.execute(
        sql: "UPDATE warm_workers SET lease_run_id = 'stage-ghost' WHERE worker_id = ?", arguments: [worker])
    }
    let late = try reaper.reap(now: Date().addingTimeInterval(301))
    #expect(late.deletionRequested == [worker])
    let row = try warm.store.worker(worker)
    #expect(row == nil || row?.state == .deleting)
    let reason = try warm.store.workerTransitions(worker).last { $0.event == "delete_requested" }?.reason ?? ""
    #expect(reason.contains("stage-ghost") && reason.contains("without having claimed it"), "\(reason)")
  }

  @Test("5.7 #35 an answer that cannot tell is no evidence: a probe error never deletes an assigned worker")
  func pickupNeedsPositiveEvidence() throws {
    let (warm, _, worker) = try WarmPoolReaperTests.idleWorker()
    defer { warm.tearDown() }
    try warm.store.createStageRun(
      StageRunRecord(
        id: "stage-nohandle", workspace: "warm", version: 1, pipeline: "pipeline", stage: "hello", reason: goodReason))
    #expect(try warm.store.transitionWorker(worker, .jobAssigned, runID: "stage-nohandle", source: "test").moved)
    let real = try #require(try warm.store.worker(worker)?.workerHandle)
    try warm.store.write { db in
      try db.execute(
        sql: "UPDATE warm_workers SET worker_handle = '{\"worker_id\": 7}' WHERE worker_id = ?", arguments: [worker])
    }
    let reaper = WarmPoolReaper(services: try warm.services())
    #expect(try reaper.reap(now: Date().addingTimeInterval(3600)).deletionRequested.isEmpty)
    #expect(try warm.store.worker(worker)?.state == .busy)
    // With the worker answering again (idle, the run never delivered: no handle), it goes.
    try warm.store.write { db in
      try db.execute(sql: "UPDATE warm_workers SET worker_handle = ? WHERE worker_id = ?", arguments: [real, worker])
    }
    #expect(try reaper.reap(now: Date().addingTimeInterval(3600)).deletionRequested == [worker])
  }

  @Test("5.7 #36 while B runs on the worker A used, B's status is running, never A's exit")
  func statusOfBIsNeverAs() throws {
    let warm = try WarmProject()
    defer { warm.tearDown() }
    // A completes (exit 0); B then takes the same worker and sleeps. Read as A's exit, B
    // would be completed at once.
    let a = try warm.run()
    #expect(a.state == .awaitingUserFinalization, "\(a.error ?? "")")
    let worker = try #require(warm.workerID(of: a))
    let bRun = try warm.start(["sleeper"])
    let group = warm.driveInBackground(bRun)
    let b = try warm.stageRun(of: bRun)
    try warm.waitUntil("B was delivered to A's worker") {
      try warm.store.worker(worker)?.leaseRunID == b.id && warm.workerHandle(of: b) != nil
    }
    let handleB = try #require(try warm.store.stageRun(b.id)?.backendHandle.flatMap { try JSONCoding.parse($0) })
    let backend = try warm.services().backend
    let status = try backend.call("status", ["handle": handleB], as: RunStatus.self)
    #expect([.pending, .running].contains(status.state), "\(status.state)")
    #expect(status.exitCode == nil)
    #expect(try warm.store.stageRun(b.id)?.state == .running)
    _ = try Executor(services: try warm.services()).cancel(b.id, reason: goodReason)
    #expect(group.wait(timeout: .now() + 60) == .success)
    #expect(try warm.store.stageRun(b.id)?.state == .canceled)
    #expect(try warm.store.stageRun(a.id)?.state == .awaitingUserFinalization)
  }

  @Test("5.7 #44 machine type is compared exactly: a3-highgpu-1g and -8g workers are never shared")
  func machineTypeExact() throws {
    let store = try ProjectStore.open(path: TestEnvironment.temporaryFolder("pool-machine-type") + "/goldfish.db")
    let oneGPU = try #require(ResourceProfiles.builtIn["h100-spot"])
    var eightGPU = oneGPU
    eightGPU.machineType = "a3-highgpu-8g"  // the only difference
    let small = CompatibilityKey(backend: "gce", profile: nil, definition: oneGPU)
    let large = CompatibilityKey(backend: "gce", profile: nil, definition: eightGPU)
    #expect(small != large)
    #expect(small.text.contains("\"machine_type\":\"a3-highgpu-1g\""))
    guard
      case .reserved(let row) = try store.reserveWorker(
        WarmWorkerReservation(
          workerID: "gw-small", backend: "gce", key: small, profile: nil, runID: "stage-small",
          idleTimeoutSeconds: 600, lifetimeSeconds: 3600),
        cap: 2)
    else {
      Issue.record("not reserved")
      return
    }
    try store.setWorkerHandle(row.workerID, handle: ["instance": "gf-small"], zone: oneGPU.zones[0])
    for event in [WarmWorkerEvent.registered, .jobFinished, .drainComplete] {
      #expect(try store.transitionWorker(row.workerID, event, source: "test").moved)
    }
    #expect(
      try store.claimIdleWorker(backend: "gce", key: large, zones: large.allowedZones, runID: "stage-large") == nil)
    #expect(
      try store.claimIdleWorker(backend: "gce", key: small, zones: small.allowedZones, runID: "stage-s2")?.workerID
        == "gw-small")
  }

  @Test("5.7 #51 the backend's handle is stored on every run: fresh worker, reused worker, and a launch past the cap")
  func handleStoredOnEveryRun() throws {
    let warm = try WarmProject(maxInstances: 1)
    defer { warm.tearDown() }
    let a = try warm.run()
    let worker = try #require(warm.workerID(of: a))
    let bRun = try warm.start(["sleeper"])
    let bGroup = warm.driveInBackground(bRun)
    let b = try warm.stageRun(of: bRun)
    try warm.waitUntil("B holds the only worker") { try warm.store.worker(worker)?.leaseRunID == b.id }
    try warm.waitUntil("B's handle is stored") { warm.workerHandle(of: b) != nil }
    // The pool is full: C is an ordinary one-process launch.
    let c = try warm.run()
    #expect(c.state == .awaitingUserFinalization, "\(c.error ?? "")")
    for run in [a, b, c] {
      let stored = try #require(try warm.store.stageRun(run.id))
      #expect(stored.backend == "process", "\(run.id)")
      let handle = try #require(stored.backendHandle.flatMap { try? JSONCoding.parse($0) }, "\(run.id)")
      #expect(handle.objectValue?.isEmpty == false, "\(run.id)")
    }
    #expect(warm.workerID(of: a) == worker && warm.workerID(of: b) == worker)
    #expect(warm.workerHandle(of: c) == nil)
    // What is stored is enough to ask the backend about each run.
    let backend = try warm.services().backend
    for run in [a, c] {
      let handle = try #require(try warm.store.stageRun(run.id)?.backendHandle.flatMap { try JSONCoding.parse($0) })
      #expect(try backend.call("status", ["handle": handle], as: RunStatus.self).state == .completed, "\(run.id)")
    }
    _ = try Executor(services: try warm.services()).cancel(b.id, reason: goodReason)
    #expect(bGroup.wait(timeout: .now() + 60) == .success)
  }
}
