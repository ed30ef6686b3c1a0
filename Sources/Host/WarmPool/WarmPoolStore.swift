import Foundation
import GRDB
import PluginKit

/// What a pool transition attempt did. Losing a race is an answer, not an error.
public enum WarmTransitionResult: Sendable, Equatable {
  case moved(from: WarmWorkerState, to: WarmWorkerState)
  /// The row was not in the expected state or lease: another actor moved it first.
  case stale(current: WarmWorkerState, lease: String?)
  case notFound
  /// The event does not apply to the row's state.
  case invalidTransition(state: WarmWorkerState)

  public var moved: Bool { if case .moved = self { return true } else { return false } }
}

/// What reserving a pool slot for a fresh launch did.
public enum WarmReserveResult: Sendable, Equatable {
  case reserved(WarmWorkerRecord)
  /// This run already holds this row (a retried registration): nothing was inserted twice.
  case alreadyReserved(WarmWorkerRecord)
  /// The backend's pool already has `cap` rows that are not gone.
  case poolFull
}

/// A pool slot asked for by a run about to launch a new worker.
public struct WarmWorkerReservation: Sendable {
  public var workerID: String
  public var backend: String
  public var key: CompatibilityKey
  public var profile: String?
  public var runID: String
  public var idleTimeoutSeconds: Int
  public var lifetimeSeconds: Int

  public init(
    workerID: String, backend: String, key: CompatibilityKey, profile: String?, runID: String,
    idleTimeoutSeconds: Int, lifetimeSeconds: Int
  ) {
    self.workerID = workerID
    self.backend = backend
    self.key = key
    self.profile = profile
    self.runID = runID
    self.idleTimeoutSeconds = idleTimeoutSeconds
    self.lifetimeSeconds = lifetimeSeconds
  }
}

extension ProjectStore {
  /// Inserts a `launching` row leased to the run, but only while the backend's pool has fewer
  /// than `cap` rows that are not gone: the count and the insert are one statement, so ten
  /// racing launches can never make eleven workers (upstream #10/#12 and the pool cap).
  public func reserveWorker(_ reservation: WarmWorkerReservation, cap: Int) throws(GoldfishError) -> WarmReserveResult {
    try write { db in
      let now = Timestamp.now()
      try db.execute(
        sql: """
          INSERT INTO warm_workers (worker_id, backend, compat_key, zone, profile, state, lease_run_id,
            created_at, state_entered_at, idle_timeout_seconds, lifetime_seconds)
          SELECT ?, ?, ?, NULL, ?, 'launching', ?, ?, ?, ?, ?
          WHERE (SELECT COUNT(*) FROM warm_workers WHERE backend = ? AND state != 'gone') < ?
          ON CONFLICT(worker_id) DO NOTHING
          """,
        arguments: [
          reservation.workerID, reservation.backend, reservation.key.text, reservation.profile, reservation.runID,
          now, now, reservation.idleTimeoutSeconds, reservation.lifetimeSeconds, reservation.backend, cap,
        ])
      let inserted = db.changesCount == 1
      guard let row = try WarmWorkerRecord.fetchOne(db, key: reservation.workerID) else { return .poolFull }
      if inserted {
        try Self.audit(
          db, row.workerID, from: "none", to: row.state.rawValue, event: "reserved", runID: reservation.runID,
          reason: nil, source: "dispatcher")
        return .reserved(row)
      }
      return row.leaseRunID == reservation.runID ? .alreadyReserved(row) : .poolFull
    }
  }

  /// Applies `event` as one compare-and-swap that writes the state and the lease together.
  /// `expecting`/`expectedLease` make it conditional on what the caller last saw; `runID` is
  /// the lease a `job_assigned` takes. Leaving a leased state always releases the lease.
  @discardableResult
  public func transitionWorker(
    _ id: String, _ event: WarmWorkerEvent, runID: String? = nil, expecting: WarmWorkerState? = nil,
    expectedLease: String?? = .none, source: String, reason: String? = nil,
    update: [String: (any DatabaseValueConvertible)?] = [:]
  ) throws(GoldfishError) -> WarmTransitionResult {
    try write { db in
      guard let current = try WarmWorkerRecord.fetchOne(db, key: id) else { return .notFound }
      if let expecting, current.state != expecting { return .stale(current: current.state, lease: current.leaseRunID) }
      if case .some(let lease) = expectedLease, current.leaseRunID != lease {
        return .stale(current: current.state, lease: current.leaseRunID)
      }
      guard let target = WarmWorkerTransitions.target(from: current.state, on: event) else {
        return .invalidTransition(state: current.state)
      }
      let lease: String? = target.isLeased ? (event == .jobAssigned ? runID : current.leaseRunID) : nil
      if target.isLeased && lease == nil {
        throw GoldfishError(.invalidArgument, "\(event.rawValue) on worker \(id) needs the run it is leased to")
      }
      let now = Timestamp.now()
      var assignments = ["state = ?", "lease_run_id = ?", "state_entered_at = ?"]
      var arguments: [(any DatabaseValueConvertible)?] = [target.rawValue, lease, now]
      if event == .jobAssigned {
        assignments += ["last_job_at = ?", "jobs_done = jobs_done + 1"]
        arguments.append(now)
      }
      if target != current.state {
        // A new state starts a new run of liveness answers.
        assignments += ["not_found_count = 0", "dead_count = 0"]
      }
      for (column, value) in update.sorted(by: { $0.key < $1.key }) {
        assignments.append("\(column) = ?")
        arguments.append(value)
      }
      arguments += [id, current.state.rawValue, current.leaseRunID]
      try db.execute(
        sql:
          "UPDATE warm_workers SET \(assignments.joined(separator: ", ")) WHERE worker_id = ? AND state = ? AND lease_run_id IS ?",
        arguments: StatementArguments(arguments))
      guard db.changesCount == 1 else { return .stale(current: current.state, lease: current.leaseRunID) }
      try Self.audit(
        db, id, from: current.state.rawValue, to: target.rawValue, event: event.rawValue,
        runID: runID ?? current.leaseRunID, reason: reason, source: source)
      return .moved(from: current.state, to: target)
    }
  }

  /// Claims the oldest compatible idle worker for `runID` (idle_ready → busy with the lease, one
  /// CAS). A lost race moves on to the next candidate; nil when none is left.
  public func claimIdleWorker(
    backend: String, key: CompatibilityKey, zones: [String]?, runID: String, excluding: Set<String> = []
  ) throws(GoldfishError) -> WarmWorkerRecord? {
    var tried = excluding
    while true {
      let candidates = try claimableWorkers(backend: backend, key: key, zones: zones, limit: 8)
        .filter { !tried.contains($0) }
      guard !candidates.isEmpty else { return nil }
      for id in candidates {
        tried.insert(id)
        let result = try transitionWorker(
          id, .jobAssigned, runID: runID, expecting: .idleReady, expectedLease: .some(nil), source: "dispatcher")
        if result.moved { return try worker(id) }
      }
    }
  }

  /// Idle, unleased, compatible rows, oldest idle first (upstream #24: leased rows are never
  /// offered). Served by the partial index `warm_workers_claimable`.
  func claimableWorkers(
    backend: String, key: CompatibilityKey, zones: [String]?, limit: Int
  ) throws(GoldfishError)
    -> [String]
  {
    try read { db in
      var sql = """
        SELECT worker_id FROM warm_workers
        WHERE backend = ? AND compat_key = ? AND state = 'idle_ready' AND lease_run_id IS NULL
        """
      var arguments: [(any DatabaseValueConvertible)?] = [backend, key.text]
      if let zones {
        sql += " AND (zone IS NULL OR zone IN (\(zones.map { _ in "?" }.joined(separator: ", "))))"
        arguments += zones.map { $0 as (any DatabaseValueConvertible)? }
      }
      sql += " ORDER BY state_entered_at, worker_id LIMIT ?"
      arguments.append(limit)
      return try String.fetchAll(db, sql: sql, arguments: StatementArguments(arguments))
    }
  }

  public func worker(_ id: String) throws(GoldfishError) -> WarmWorkerRecord? {
    try read { db in try WarmWorkerRecord.fetchOne(db, key: id) }
  }

  /// The worker a run holds, by the lease index: one keyed read whatever the pool size.
  public func worker(leasedTo runID: String) throws(GoldfishError) -> WarmWorkerRecord? {
    try read { db in
      try WarmWorkerRecord.fetchOne(db, sql: "SELECT * FROM warm_workers WHERE lease_run_id = ?", arguments: [runID])
    }
  }

  public func workers(backend: String? = nil, limit: Int? = nil) throws(GoldfishError) -> [WarmWorkerRecord] {
    try read { db in
      var request = WarmWorkerRecord.all()
      if let backend { request = request.filter(WarmWorkerRecord.CodingKeys.backend == backend) }
      request = request.order(WarmWorkerRecord.CodingKeys.createdAt, WarmWorkerRecord.CodingKeys.workerID)
      if let limit { request = request.limit(limit) }
      return try request.fetchAll(db)
    }
  }

  /// Rows per state (every state present, zero when empty).
  public func workerCounts(backend: String? = nil) throws(GoldfishError) -> [WarmWorkerState: Int] {
    try read { db in
      var counts = Dictionary(uniqueKeysWithValues: WarmWorkerState.allCases.map { ($0, 0) })
      let sql =
        "SELECT state, COUNT(*) FROM warm_workers" + (backend == nil ? "" : " WHERE backend = ?") + " GROUP BY state"
      for row in try Row.fetchAll(db, sql: sql, arguments: StatementArguments(backend.map { [$0] } ?? [])) {
        if let state = WarmWorkerState(rawValue: row[0]) { counts[state] = row[1] }
      }
      return counts
    }
  }

  public func workerTransitions(_ id: String) throws(GoldfishError) -> [WarmWorkerTransitionRecord] {
    try read { db in
      try WarmWorkerTransitionRecord.fetchAll(
        db, sql: "SELECT * FROM warm_worker_transitions WHERE worker_id = ? ORDER BY id", arguments: [id])
    }
  }

  /// Stores the handle the launch returned, whatever state the row reached meanwhile (a
  /// cancel may have moved it to deleting): the reaper needs it to delete the worker.
  public func setWorkerHandle(_ id: String, handle: JSONValue, zone: String?) throws(GoldfishError) {
    try write { db in
      try db.execute(
        sql:
          "UPDATE warm_workers SET worker_handle = ?, zone = coalesce(?, zone) WHERE worker_id = ? AND state != 'gone'",
        arguments: [try? JSONCoding.encode(handle), zone, id])
    }
  }

  /// Counts one liveness answer and returns the consecutive not_found and dead answers so far.
  /// `alive` resets both; `error` ("could not tell") neither counts nor resets (upstream #25).
  @discardableResult
  public func recordLiveness(
    _ id: String, _ liveness: WorkerLiveness
  ) throws(GoldfishError) -> (notFound: Int, dead: Int) {
    try write { db in
      let change: String? =
        switch liveness {
        case .alive: "not_found_count = 0, dead_count = 0"
        case .notFound: "not_found_count = not_found_count + 1, dead_count = 0"
        case .dead: "dead_count = dead_count + 1, not_found_count = 0"
        case .error: nil
        }
      if let change {
        try db.execute(sql: "UPDATE warm_workers SET \(change) WHERE worker_id = ?", arguments: [id])
      }
      let row = try Row.fetchOne(
        db, sql: "SELECT not_found_count, dead_count FROM warm_workers WHERE worker_id = ?", arguments: [id])
      return (row?[0] ?? 0, row?[1] ?? 0)
    }
  }

  func noteWorkerDeleteAttempt(_ id: String, error: String?) throws(GoldfishError) {
    try write { db in
      try db.execute(
        sql: "UPDATE warm_workers SET delete_attempts = delete_attempts + 1, last_error = ? WHERE worker_id = ?",
        arguments: [error, id])
    }
  }

  /// Drops a row, only once it is `gone` (deletion confirmed or the worker lost).
  @discardableResult
  public func dropGoneWorker(_ id: String) throws(GoldfishError) -> Bool {
    try write { db in
      try db.execute(sql: "DELETE FROM warm_workers WHERE worker_id = ? AND state = 'gone'", arguments: [id])
      return db.changesCount == 1
    }
  }

  static func audit(
    _ db: Database, _ id: String, from: String, to: String, event: String, runID: String?, reason: String?,
    source: String
  ) throws {
    try db.execute(
      sql: """
        INSERT INTO warm_worker_transitions (worker_id, from_state, to_state, event, run_id, reason, source, created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        """,
      arguments: [id, from, to, event, runID, reason, source, Timestamp.now()])
  }
}
