import Foundation
import GRDB
import PluginKit
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// A fresh project database with no backend: the pool's rules are the store's rules.
private func freshStore(_ label: String) throws -> ProjectStore {
  try ProjectStore.open(path: TestEnvironment.temporaryFolder(label) + "/goldfish.db")
}

private let localKey = CompatibilityKey(
  backend: "process", fields: ["cpus": .double(1), "memory_mb": .int(1024)], allowedZones: nil)

private func reservation(
  _ runID: String, key: CompatibilityKey = localKey, backend: String = "process"
)
  -> WarmWorkerReservation
{
  WarmWorkerReservation(
    workerID: WarmPool.workerID(forRun: runID), backend: backend, key: key, profile: nil, runID: runID,
    idleTimeoutSeconds: 60, lifetimeSeconds: 3600)
}

/// Takes a worker through its first job to idle_ready, as dispatch and run end do.
@discardableResult
private func idleWorker(_ store: ProjectStore, run runID: String, key: CompatibilityKey = localKey) throws -> String {
  guard case .reserved(let row) = try store.reserveWorker(reservation(runID, key: key), cap: 10) else {
    Issue.record("reservation refused")
    return ""
  }
  try store.setWorkerHandle(row.workerID, handle: ["pid": 1], zone: nil)
  #expect(try store.transitionWorker(row.workerID, .registered, source: "test").moved)
  #expect(try store.transitionWorker(row.workerID, .jobFinished, source: "test").moved)
  #expect(try store.transitionWorker(row.workerID, .drainComplete, source: "test").moved)
  return row.workerID
}

@Suite("warm pool store: state machine, leases and the cap")
struct WarmPoolStoreTests {
  @Test("5.7 #22 the v4 migration creates the pool tables on an existing database")
  func migration() throws {
    let store = try freshStore("pool-migrate")
    #expect(try store.appliedMigrations().contains("v4-warm-pool"))
    #expect(try store.workers().isEmpty)
    #expect(try store.workerCounts().count == WarmWorkerState.allCases.count)
  }

  @Test("every event leads only where the state machine says")
  func stateMachine() {
    #expect(WarmWorkerTransitions.target(from: .launching, on: .registered) == .busy)
    #expect(WarmWorkerTransitions.target(from: .idleReady, on: .jobAssigned) == .busy)
    #expect(WarmWorkerTransitions.target(from: .busy, on: .jobFinished) == .draining)
    #expect(WarmWorkerTransitions.target(from: .draining, on: .drainComplete) == .idleReady)
    #expect(WarmWorkerTransitions.target(from: .deleting, on: .deleteConfirmed) == .gone)
    #expect(WarmWorkerTransitions.target(from: .busy, on: .jobAssigned) == nil)
    #expect(WarmWorkerTransitions.target(from: .draining, on: .jobAssigned) == nil)
    #expect(WarmWorkerTransitions.target(from: .gone, on: .lost) == nil)
    #expect(WarmWorkerTransitions.target(from: .deleting, on: .drainComplete) == nil)
  }

  @Test("5.7 #23 state and lease change in one CAS; the database refuses busy without a lease")
  func stateAndLeaseTogether() throws {
    let store = try freshStore("pool-cas")
    let id = try idleWorker(store, run: "stage-a")
    var row = try #require(try store.worker(id))
    #expect(row.state == .idleReady && row.leaseRunID == nil)

    #expect(try store.transitionWorker(id, .jobAssigned, runID: "stage-b", source: "test").moved)
    row = try #require(try store.worker(id))
    #expect(row.state == .busy && row.leaseRunID == "stage-b" && row.jobsDone == 1)
    #expect(try store.worker(leasedTo: "stage-b")?.workerID == id)

    #expect(try store.transitionWorker(id, .jobFinished, source: "test").moved)
    row = try #require(try store.worker(id))
    #expect(row.state == .draining && row.leaseRunID == nil)
    #expect(try store.worker(leasedTo: "stage-b") == nil)

    // Even a write that bypasses the state machine cannot split state from lease.
    #expect(throws: (any Error).self) {
      try store.write { db in
        try db.execute(sql: "UPDATE warm_workers SET state = 'busy' WHERE worker_id = ?", arguments: [id])
      }
    }
    #expect(throws: (any Error).self) {
      try store.write { db in
        try db.execute(sql: "UPDATE warm_workers SET lease_run_id = 'stage-x' WHERE worker_id = ?", arguments: [id])
      }
    }
    let audit = try store.workerTransitions(id).map(\.event)
    #expect(audit == ["reserved", "registered", "job_finished", "drain_complete", "job_assigned", "job_finished"])
  }

  @Test("typed results: stale on a lost CAS, not found, invalid transition")
  func results() throws {
    let store = try freshStore("pool-results")
    let id = try idleWorker(store, run: "stage-a")
    #expect(try store.transitionWorker("gw-nobody", .deleteRequested, source: "test") == .notFound)
    #expect(try store.transitionWorker(id, .jobFinished, source: "test") == .invalidTransition(state: .idleReady))
    #expect(
      try store.transitionWorker(id, .jobAssigned, runID: "stage-b", expecting: .busy, source: "test")
        == .stale(current: .idleReady, lease: nil))
    #expect(try store.transitionWorker(id, .jobAssigned, runID: "stage-b", source: "test").moved)
    // A cancel of another run, holding an outdated view, cannot delete B's worker (5.7 #29).
    #expect(
      try store.transitionWorker(id, .deleteRequested, expectedLease: .some("stage-a"), source: "test")
        == .stale(current: .busy, lease: "stage-b"))
    #expect(try store.worker(id)?.state == .busy)
    #expect(throws: GoldfishError.self) {
      try store.transitionWorker(id, .jobFinished, source: "test")
      try store.transitionWorker(id, .drainComplete, source: "test")
      try store.transitionWorker(id, .jobAssigned, source: "test")  // no run to lease to
    }
  }

  @Test("5.7 #24 two stores racing for one idle worker: exactly one wins, the loser gets none")
  func claimRace() throws {
    let folder = TestEnvironment.temporaryFolder("pool-race")
    let setup = try ProjectStore.open(path: folder + "/goldfish.db")
    let id = try idleWorker(setup, run: "stage-first")
    for round in 0..<20 {
      // Two database connections, as two goldfish processes would have.
      let stores = try (0..<2).map { _ in try ProjectStore.open(path: folder + "/goldfish.db") }
      let winners = ClaimTally()
      DispatchQueue.concurrentPerform(iterations: 2) { index in
        let claimed = try? stores[index].claimIdleWorker(
          backend: "process", key: localKey, zones: nil, runID: "stage-r\(round)-\(index)")
        if let claimed { winners.add(claimed.leaseRunID ?? "?") }
      }
      #expect(winners.values.count == 1, "round \(round): \(winners.values)")
      let row = try #require(try setup.worker(id))
      #expect(row.state == .busy && row.leaseRunID == winners.values.first)
      // Back to idle for the next round.
      try setup.transitionWorker(id, .jobFinished, source: "test")
      try setup.transitionWorker(id, .drainComplete, source: "test")
    }
  }

  @Test("5.7 #24 a claim skips leased, busy and incompatible workers and takes the oldest idle one")
  func claimChoice() throws {
    let store = try freshStore("pool-choice")
    let other = CompatibilityKey(backend: "process", fields: ["cpus": .double(4)], allowedZones: nil)
    let older = try idleWorker(store, run: "stage-old")
    let newer = try idleWorker(store, run: "stage-new")
    _ = try idleWorker(store, run: "stage-big", key: other)
    try store.write { db in
      try db.execute(
        sql: "UPDATE warm_workers SET state_entered_at = '2000-01-01T00:00:00.000Z' WHERE worker_id = ?",
        arguments: [older])
    }
    #expect(
      try store.claimIdleWorker(backend: "process", key: localKey, zones: nil, runID: "stage-1")?.workerID == older)
    #expect(
      try store.claimIdleWorker(backend: "process", key: localKey, zones: nil, runID: "stage-2")?.workerID == newer)
    #expect(try store.claimIdleWorker(backend: "process", key: localKey, zones: nil, runID: "stage-3") == nil)
    #expect(try store.claimIdleWorker(backend: "docker", key: other, zones: nil, runID: "stage-4") == nil)
  }

  @Test("a worker's zone must be among the run's allowed zones")
  func zones() throws {
    let store = try freshStore("pool-zones")
    let key = CompatibilityKey(backend: "gce", fields: ["machine_type": "a3-highgpu-1g"], allowedZones: ["z1", "z2"])
    guard case .reserved(let row) = try store.reserveWorker(reservation("stage-z", key: key, backend: "gce"), cap: 2)
    else {
      Issue.record("not reserved")
      return
    }
    try store.setWorkerHandle(row.workerID, handle: ["name": "vm"], zone: "z2")
    for event in [WarmWorkerEvent.registered, .jobFinished, .drainComplete] {
      try store.transitionWorker(row.workerID, event, source: "test")
    }
    #expect(try store.claimIdleWorker(backend: "gce", key: key, zones: ["z1"], runID: "stage-1") == nil)
    #expect(try store.claimIdleWorker(backend: "gce", key: key, zones: ["z1", "z2"], runID: "stage-2")?.zone == "z2")
  }

  @Test("5.7 #10 registering twice is idempotent: one row, no error")
  func idempotentRegister() throws {
    let store = try freshStore("pool-register")
    let first = try store.reserveWorker(reservation("stage-a"), cap: 2)
    let second = try store.reserveWorker(reservation("stage-a"), cap: 2)
    guard case .reserved(let row) = first, case .alreadyReserved(let again) = second else {
      Issue.record("expected reserved then alreadyReserved, got \(first) and \(second)")
      return
    }
    #expect(row.workerID == again.workerID && again.leaseRunID == "stage-a" && again.state == .launching)
    #expect(try store.workers().count == 1)
  }

  @Test("5.7 #12 a freshly launched worker is leased to its run and never claimable")
  func launchingIsLeased() throws {
    let store = try freshStore("pool-launching")
    guard case .reserved(let row) = try store.reserveWorker(reservation("stage-a"), cap: 2) else {
      Issue.record("not reserved")
      return
    }
    #expect(row.state == .launching && row.leaseRunID == "stage-a")
    #expect(try store.claimIdleWorker(backend: "process", key: localKey, zones: nil, runID: "stage-b") == nil)
    #expect(try store.transitionWorker(row.workerID, .registered, source: "test").moved)
    #expect(try store.worker(row.workerID)?.leaseRunID == "stage-a")
  }

  @Test("the pool cap holds under ten concurrent reservations, deleting rows count until gone")
  func capUnderConcurrency() throws {
    let folder = TestEnvironment.temporaryFolder("pool-cap")
    let setup = try ProjectStore.open(path: folder + "/goldfish.db")
    let stores = try (0..<10).map { _ in try ProjectStore.open(path: folder + "/goldfish.db") }
    let tally = ClaimTally()
    DispatchQueue.concurrentPerform(iterations: 10) { index in
      if case .reserved(let row)? = try? stores[index].reserveWorker(reservation("stage-c\(index)"), cap: 3) {
        tally.add(row.workerID)
      }
    }
    #expect(tally.values.count == 3)
    #expect(try setup.workers(backend: "process").count == 3)
    // A deleting row still holds its place (5.7 #26)…
    let first = try #require(tally.values.first)
    try setup.transitionWorker(first, .launchFailed, source: "test")
    #expect(try setup.reserveWorker(reservation("stage-late"), cap: 3) == .poolFull)
    // …until the backend confirmed the deletion.
    try setup.transitionWorker(first, .deleteConfirmed, source: "test")
    #expect(try setup.dropGoneWorker(first))
    guard case .reserved = try setup.reserveWorker(reservation("stage-late"), cap: 3) else {
      Issue.record("a freed place was not given out")
      return
    }
    // Another backend's pool has its own cap.
    guard case .reserved = try setup.reserveWorker(reservation("stage-dock", backend: "docker"), cap: 1) else {
      Issue.record("the docker pool was counted against the process pool")
      return
    }
  }

  @Test("5.7 #17 a failed launch releases the lease into deleting; only gone rows are dropped")
  func launchFailure() throws {
    let store = try freshStore("pool-launch-fail")
    guard case .reserved(let row) = try store.reserveWorker(reservation("stage-a"), cap: 2) else { return }
    #expect(try store.dropGoneWorker(row.workerID) == false)
    #expect(try store.transitionWorker(row.workerID, .launchFailed, source: "test").moved)
    let after = try #require(try store.worker(row.workerID))
    #expect(after.state == .deleting && after.leaseRunID == nil)
    #expect(try store.dropGoneWorker(row.workerID) == false)
  }

  @Test("5.7 #25 liveness: consecutive answers count, alive resets, error neither counts nor resets")
  func liveness() throws {
    let store = try freshStore("pool-liveness")
    let id = try idleWorker(store, run: "stage-a")
    #expect(try answers(store, id, .notFound) == [1, 0])
    #expect(try answers(store, id, .error) == [1, 0])
    #expect(try answers(store, id, .notFound) == [2, 0])
    #expect(try answers(store, id, .alive) == [0, 0])
    #expect(try answers(store, id, .dead) == [0, 1])
    #expect(try answers(store, id, .dead) == [0, 2])
    #expect(try answers(store, id, .notFound) == [1, 0])
    // A new state starts counting afresh.
    #expect(try answers(store, id, .notFound) == [2, 0])
    try store.transitionWorker(id, .deleteRequested, source: "test")
    #expect(try store.worker(id)?.notFoundCount == 0)
  }

  @Test("the claim and the lease lookup are served by indexes, not scans (5.7 #5)")
  func indexedReads() throws {
    let store = try freshStore("pool-plan")
    let plans = try store.read { db in
      [
        try Row.fetchAll(
          db,
          sql:
            "EXPLAIN QUERY PLAN SELECT worker_id FROM warm_workers WHERE backend = 'p' AND compat_key = 'k' AND state = 'idle_ready' AND lease_run_id IS NULL ORDER BY state_entered_at LIMIT 1"
        ).map { $0["detail"] as String? ?? "" }.joined(),
        try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN SELECT * FROM warm_workers WHERE lease_run_id = 'r'")
          .map { $0["detail"] as String? ?? "" }.joined(),
      ]
    }
    #expect(plans[0].contains("warm_workers_claimable"), "\(plans[0])")
    #expect(plans[1].contains("warm_workers_by_lease"), "\(plans[1])")
  }
}

/// One liveness answer, and the consecutive (not_found, dead) counts after it.
private func answers(_ store: ProjectStore, _ id: String, _ liveness: WorkerLiveness) throws -> [Int] {
  let counts = try store.recordLiveness(id, liveness)
  return [counts.notFound, counts.dead]
}

/// Collects results from concurrent closures.
final class ClaimTally: @unchecked Sendable {
  private let lock = NSLock()
  private var items: [String] = []
  func add(_ value: String) { lock.withLock { items.append(value) } }
  var values: [String] { lock.withLock { items } }
}
