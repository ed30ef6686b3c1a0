import Foundation
import PluginKit
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// The host's warm pool end to end on the process backend: real goldfish-agent workers,
/// real stage runs, the real project database.
@Suite("warm pool on the process backend", .serialized)
struct WarmPoolProcessTests {
  @Test("5.7 #1 #2 #3 #13 a compatible run reuses the idle worker: no launch, its log and exit under its own run")
  func reuse() throws {
    let warm = try WarmProject()
    defer { warm.tearDown() }
    let a = try warm.run()
    #expect(a.state == .awaitingUserFinalization, "\(a.error ?? "")")
    let worker = try #require(warm.workerID(of: a))
    let mailbox = try #require(warm.mailbox(of: a))
    // The run end put the worker straight back in the pool.
    #expect(try warm.store.worker(worker)?.state == .idleReady)
    let logA = warm.text(mailbox + "/runs/\(a.id)/logs/output.log")
    #expect(logA?.contains("hello from \(a.id)") == true)

    let b = try warm.run()
    #expect(b.state == .awaitingUserFinalization, "\(b.error ?? "")")
    #expect(warm.workerID(of: b) == worker)
    #expect(try warm.reservations() == 1)  // B launched nothing
    let row = try #require(try warm.store.worker(worker))
    #expect(row.state == .idleReady && row.jobsDone == 1 && row.leaseRunID == nil)
    #expect(try warm.store.workerTransitions(worker).filter { $0.event == "job_assigned" }.map(\.runID) == [b.id])

    // B's log and exit record are B's; A's are exactly as A left them.
    let logB = try #require(warm.text(mailbox + "/runs/\(b.id)/logs/output.log"))
    #expect(logB.contains("hello from \(b.id)") && !logB.contains(a.id))
    #expect(warm.text(mailbox + "/runs/\(a.id)/logs/output.log") == logA)
    let exitB = try #require(warm.text(mailbox + "/runs/\(b.id)/exit.json"))
    #expect(try JSONCoding.parse(exitB)["run_id"]?.stringValue == b.id)
    // Each run's output is in its own folder, recorded under its own run.
    let noteB = try #require(try warm.store.signals(of: b.id).first { $0.signal == "note" && $0.direction == "output" })
    #expect(noteB.uri?.contains("runs/\(b.id)/") == true)
    #expect(warm.text((b.workDir ?? "") + "/outputs/note") == b.id)
    #expect(warm.text((a.workDir ?? "") + "/outputs/note") == a.id)
  }

  @Test("an incompatible run gets a new worker and leaves the idle one alone")
  func incompatible() throws {
    let warm = try WarmProject()
    defer { warm.tearDown() }
    let a = try warm.run()
    let first = try #require(warm.workerID(of: a))
    let c = try warm.run(overrides: ["compute.profile": .string("cpu-large")])
    #expect(c.state == .awaitingUserFinalization, "\(c.error ?? "")")
    let second = try #require(warm.workerID(of: c))
    #expect(second != first)
    #expect(try warm.reservations() == 2)
    #expect(try warm.store.worker(first)?.jobsDone == 0)
    #expect(try warm.store.worker(first)?.state == .idleReady)
    // The next small run goes back to the first worker, the large one to the second.
    let d = try warm.run()
    #expect(warm.workerID(of: d) == first)
  }

  @Test("the cap holds under ten concurrent runs; runs past it launch without a worker")
  func capUnderConcurrentRuns() throws {
    let warm = try WarmProject(maxInstances: 2)
    defer { warm.tearDown() }
    let ids = try (0..<10).map { _ in try warm.start(["hello"]) }
    let most = MaxTally()
    let groups = ids.map(warm.driveInBackground)
    while groups.contains(where: { $0.wait(timeout: .now()) == .timedOut }) {
      most.see(try warm.store.workers(backend: "process").filter { $0.state != .gone }.count)
      usleep(20_000)
    }
    #expect(most.value <= 2)
    let runs = try ids.map(warm.stageRun)
    #expect(
      runs.allSatisfy { $0.state == .awaitingUserFinalization }, "\(runs.map { "\($0.state) \($0.error ?? "")" })")
    #expect(try warm.store.workers(backend: "process").count <= 2)
    #expect(try warm.reservations() <= 2)
    let pooled = runs.compactMap(warm.workerID)
    #expect(Set(pooled).count <= 2 && !pooled.isEmpty)
  }

  @Test("5.7 #26 the idle timeout deletes the worker; the row goes only once deletion is confirmed")
  func idleTimeout() throws {
    let warm = try WarmProject(idleTimeoutSeconds: 1)
    defer { warm.tearDown() }
    let a = try warm.run()
    let worker = try #require(warm.workerID(of: a))
    let handle = try #require(warm.workerHandle(of: a))
    let reaper = WarmPoolReaper(services: try warm.services())
    try warm.waitUntil("the reaper dropped the idle worker") {
      try reaper.reap()
      return try warm.store.worker(worker) == nil
    }
    let events = try warm.store.workerTransitions(worker).map(\.event)
    #expect(Array(events.suffix(2)) == ["delete_requested", "delete_confirmed"])
    let probe = WarmPool(services: try warm.services()).probe(
      WarmWorkerRecord(
        workerID: worker, backend: "process", compatKey: "", state: .gone, workerHandle: try JSONCoding.encode(handle),
        createdAt: "", stateEnteredAt: "", jobsDone: 0, idleTimeoutSeconds: 1, lifetimeSeconds: 1, notFoundCount: 0,
        deadCount: 0, deleteAttempts: 0))
    #expect(probe.liveness == .notFound)
    // The next run launches a fresh worker.
    let b = try warm.run()
    #expect(warm.workerID(of: b) != nil && warm.workerID(of: b) != worker)
  }

  @Test("5.7 #29 canceling B deletes only B's worker; another run's worker and run go on")
  func cancelOnlyB() throws {
    let warm = try WarmProject()
    defer { warm.tearDown() }
    let a = try warm.run()
    let idle = try #require(warm.workerID(of: a))
    let bRun = try warm.start(["sleeper"])
    let bGroup = warm.driveInBackground(bRun)
    let b = try warm.stageRun(of: bRun)
    try warm.waitUntil("B runs on the idle worker") { try warm.store.worker(idle)?.leaseRunID == b.id }
    let cRun = try warm.start(["sleeper"])
    let cGroup = warm.driveInBackground(cRun)
    let c = try warm.stageRun(of: cRun)
    try warm.waitUntil("C holds a worker of its own") { try warm.store.worker(leasedTo: c.id) != nil }
    let cWorker = try #require(try warm.store.worker(leasedTo: c.id)).workerID
    #expect(cWorker != idle)

    let canceled = try Executor(services: try warm.services()).cancel(b.id, reason: goodReason)
    #expect(canceled == [b.id])
    #expect(bGroup.wait(timeout: .now() + 60) == .success)
    #expect(try warm.store.stageRun(b.id)?.state == .canceled)
    let bWorker = try warm.store.worker(idle)
    #expect(bWorker == nil || bWorker?.state == .deleting)
    // C and its worker are untouched.
    let cRow = try #require(try warm.store.worker(cWorker))
    #expect(cRow.state == .busy && cRow.leaseRunID == c.id)
    #expect(try warm.store.stageRun(c.id)?.state == .running)
    #expect(try warm.store.stageRun(a.id)?.state == .awaitingUserFinalization)

    _ = try Executor(services: try warm.services()).cancel(c.id, reason: goodReason)
    #expect(cGroup.wait(timeout: .now() + 60) == .success)
  }

  @Test("5.7 #32 a delivery that fails (not a conflict) fails the run; it is never launched again elsewhere")
  func noDoubleDispatch() throws {
    let warm = try WarmProject()
    defer { warm.tearDown() }
    let a = try warm.run()
    let worker = try #require(warm.workerID(of: a))
    let mailbox = try #require(warm.mailbox(of: a))
    let bRun = try warm.start(["hello"])
    let b = try warm.stageRun(of: bRun)
    // The mailbox already holds a claim for B, as after a delivery whose answer was lost: the
    // backend refuses to deliver B again (already_exists), which may mean B runs somewhere.
    try FileManager.default.createDirectory(atPath: mailbox + "/runs/\(b.id)", withIntermediateDirectories: true)
    try #"{"worker_id":"elsewhere","boot_id":"x","at":"2026-01-01T00:00:00Z"}"#
      .write(toFile: mailbox + "/runs/\(b.id)/claimed.json", atomically: true, encoding: .utf8)
    let ended = try #require(try warm.drive(bRun).first)
    #expect(ended.state == .failed)
    #expect(ended.error?.contains("warm worker \(worker)") == true, "\(ended.error ?? "")")
    #expect(try warm.reservations() == 1)  // no fresh launch for B
    let row = try warm.store.worker(worker)
    #expect(row == nil || row?.state == .deleting)
  }

  @Test("a worker killed mid-job fails that run as lost, and the next run gets a new worker")
  func workerKilledMidJob() throws {
    let warm = try WarmProject()
    defer { warm.tearDown() }
    let bRun = try warm.start(["sleeper"])
    let group = warm.driveInBackground(bRun)
    let b = try warm.stageRun(of: bRun)
    try warm.waitUntil("B is running on its worker") {
      try warm.store.stageRun(b.id)?.state == .running && warm.workerHandle(of: b) != nil
    }
    let handle = try #require(warm.workerHandle(of: b))
    let mailbox = try #require(warm.mailbox(of: b))
    let worker = try #require(handle["worker_id"]?.stringValue)
    try warm.waitUntil("the agent claimed B") {
      FileManager.default.fileExists(atPath: mailbox + "/runs/\(b.id)/claimed.json")
    }
    // Kill the agent and its supervisor outright, as a crash or an OOM kill would.
    let status = try #require(warm.text(mailbox + "/workers/\(worker)/status.json"))
    let agentPID = try #require(try JSONCoding.parse(status)["agent_pid"]?.intValue)
    let supervisorPID = try #require(handle["pid"]?.intValue)
    kill(pid_t(agentPID), SIGKILL)
    kill(pid_t(supervisorPID), SIGKILL)

    #expect(group.wait(timeout: .now() + 60) == .success)
    let ended = try #require(try warm.store.stageRun(b.id))
    #expect(ended.state == .terminated && ended.terminationCause == "lost", "\(ended.state) \(ended.error ?? "")")
    // Its worker is not offered again…
    let row = try warm.store.worker(worker)
    #expect(row == nil || row?.state == .deleting)
    // …and the next run is given a new one.
    let next = try warm.run()
    #expect(next.state == .awaitingUserFinalization, "\(next.error ?? "")")
    #expect(warm.workerID(of: next) != nil && warm.workerID(of: next) != worker)
  }
}
