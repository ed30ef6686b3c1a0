import Foundation
import PluginKit

/// Keeps the pool honest: idle timeout, lifetime cap, deletion until confirmed, liveness with
/// consecutive confirmations, stranded launches, rows whose run ended behind the pool's back
/// and drains that never finish. Only the process holding the leader lease in the database
/// reaps, so two goldfish processes never delete the same worker twice.
public struct WarmPoolReaper: Sendable {
  public static let leaseName = "warm-pool-reaper"
  /// Answers in a row before a worker counts as gone or dead (upstream #25).
  public static let confirmations = 3
  /// A drain longer than this means the worker's "idle" never came (upstream #34).
  public var drainBudgetSeconds: TimeInterval = 30 * 60
  /// A job assigned longer ago than this that the worker, alive and idle, never claimed was
  /// lost on its way (upstream #35).
  public var pickupBudgetSeconds: TimeInterval = 5 * 60

  public let pool: WarmPool

  public init(pool: WarmPool) { self.pool = pool }

  public init(services: ExecutionServices) { self.init(pool: WarmPool(services: services)) }

  var store: ProjectStore { pool.store }

  /// What one pass did, for logs and tests.
  public struct Pass: Sendable, Equatable {
    public var ran = false
    public var deleted: [String] = []
    public var deletionRequested: [String] = []
    public var lost: [String] = []
    public var returnedToPool: [String] = []
    /// Rows left for a later pass because the pass's budget ran out.
    public var postponed = 0
  }

  /// One pass, when this process holds (or takes) the leader lease. `leaseSeconds` is how long
  /// the lease lasts: long-lived processes renew it every pass; a CLI that reaps in passing
  /// leaves it to expire, which also rate-limits such passes to one per `leaseSeconds`.
  @discardableResult
  public func reapIfLeader(
    leaseSeconds: TimeInterval = 30, budgetSeconds: TimeInterval? = nil, now: Date = Date()
  )
    throws(GoldfishError) -> Pass
  {
    // An empty pool costs one read, not a lease write, on every pass of every process.
    guard pool.backendSupportsReuse, try store.hasWarmWorkers(),
      try store.acquireLease(Self.leaseName, seconds: leaseSeconds)
    else { return Pass() }
    return try reap(now: now, budgetSeconds: budgetSeconds)
  }

  /// One pass over every row of this backend's pool. With a budget (a CLI reaping in passing,
  /// which must not make `goldfish status` wait on one backend probe per row) the pass stops
  /// once the budget is spent, after at least one row; rows are then visited in random order,
  /// so successive short passes still reach every row.
  public func reap(now: Date = Date(), budgetSeconds: TimeInterval? = nil) throws(GoldfishError) -> Pass {
    var pass = Pass(ran: true)
    var rows = try store.workers(backend: pool.backendName)
    if budgetSeconds != nil { rows.shuffle() }
    let started = Date()
    for (index, row) in rows.enumerated() {
      visit(row, now: now, pass: &pass)
      if let budgetSeconds, Date().timeIntervalSince(started) >= budgetSeconds {
        pass.postponed = rows.count - index - 1
        break
      }
    }
    return pass
  }

  private func visit(_ row: WarmWorkerRecord, now: Date, pass: inout Pass) {
    let inState = now.timeIntervalSince(Timestamp.parse(row.stateEnteredAt) ?? now)
    let age = now.timeIntervalSince(Timestamp.parse(row.createdAt) ?? now)
    let overLifetime = age > TimeInterval(row.lifetimeSeconds)
    switch row.state {
    case .gone:
      if (try? store.dropGoneWorker(row.workerID)) == true { pass.deleted.append(row.workerID) }
    case .deleting:
      if pool.deleteWorker(row, source: "reaper") { pass.deleted.append(row.workerID) }
    case .launching:
      // Liveness is not asked of a worker still booting; only the launch budget (upstream #18).
      if inState > TimeInterval(pool.services.project.config.defaults.launchTimeoutSeconds) {
        request(row, "still launching after the launch budget", &pass)
      } else if let runID = row.leaseRunID, runIsOver(runID) {
        request(row, "its run \(runID) ended before the worker registered", &pass)
      }
    case .busy:
      guard let runID = row.leaseRunID else { return }
      if let state = finalState(of: runID) {
        // The run ended without the executor telling the pool (a crash): settle it (upstream #28).
        WarmRunEnd(pool: pool).runEnded(runID, state: state, source: "reaper")
        if let after = try? store.worker(row.workerID), after.state == .idleReady {
          pass.returnedToPool.append(row.workerID)
        }
        return
      }
      let probe = pool.probe(row)
      if inState > pickupBudgetSeconds, neverPickedUp(runID, probe: probe) {
        request(
          row, "run \(runID) was assigned \(Int(inState)) s ago and the worker is idle without having claimed it", &pass
        )
        return
      }
      judge(row, probe, &pass)
    case .draining:
      if inState > drainBudgetSeconds {
        request(row, "drained for longer than \(Int(drainBudgetSeconds)) s", &pass)
      } else if overLifetime {
        request(row, "past its lifetime of \(row.lifetimeSeconds) s", &pass)
      } else if WarmRunEnd(pool: pool).settleDrain(row, source: "reaper") {
        pass.returnedToPool.append(row.workerID)
      } else {
        judgeCounted(row, &pass)
      }
    case .idleReady:
      if inState > TimeInterval(row.idleTimeoutSeconds) {
        request(row, "idle for longer than \(row.idleTimeoutSeconds) s", &pass)
      } else if overLifetime {
        request(row, "past its lifetime of \(row.lifetimeSeconds) s", &pass)
      } else {
        checkLiveness(row, &pass)
      }
    }
  }

  private func request(_ row: WarmWorkerRecord, _ reason: String, _ pass: inout Pass) {
    pass.deletionRequested.append(row.workerID)
    if pool.requestDeletion(row, source: "reaper", reason: reason),
      (try? store.worker(row.workerID)) == nil
    {
      pass.deleted.append(row.workerID)
    }
  }

  private func checkLiveness(_ row: WarmWorkerRecord, _ pass: inout Pass) {
    judge(row, pool.probe(row), &pass)
  }

  private func judge(_ row: WarmWorkerRecord, _ probe: WorkerProbe, _ pass: inout Pass) {
    let counts = (try? store.recordLiveness(row.workerID, probe.liveness)) ?? (0, 0)
    judge(row, counts, &pass)
  }

  /// For a draining row `settleDrain` already probed and counted: only judge the counts.
  private func judgeCounted(_ row: WarmWorkerRecord, _ pass: inout Pass) {
    guard let current = try? store.worker(row.workerID) else { return }
    judge(current, (current.notFoundCount, current.deadCount), &pass)
  }

  private func judge(_ row: WarmWorkerRecord, _ counts: (notFound: Int, dead: Int), _ pass: inout Pass) {
    if counts.notFound >= Self.confirmations {
      let moved =
        (try? store.transitionWorker(
          row.workerID, .lost, expecting: row.state, expectedLease: .some(row.leaseRunID), source: "reaper",
          reason: "the backend did not find the worker \(counts.notFound) times in a row"))?.moved ?? false
      if moved, (try? store.dropGoneWorker(row.workerID)) == true { pass.lost.append(row.workerID) }
    } else if counts.dead >= Self.confirmations, let current = try? store.worker(row.workerID) {
      request(current, "the worker was found dead \(counts.dead) times in a row", &pass)
    }
  }

  /// Positive evidence only (upstream #35): the worker answers, says idle and not busy with
  /// this run, and the backend says the run is still `pending` (nobody claimed its job), or the
  /// run has no handle at all (the dispatcher died before delivering). An answer that cannot
  /// tell (probe error, no state, a failed status call) is never evidence.
  private func neverPickedUp(_ runID: String, probe: WorkerProbe) -> Bool {
    guard probe.liveness == .alive, probe.state == "idle", probe.runId != runID,
      let run = try? store.stageRun(runID)
    else { return false }
    guard let handle = run.backendHandle.flatMap({ try? JSONCoding.parse($0) }) else { return true }
    guard let status = try? pool.backend.status(handle: handle) else { return false }
    return status.state == .pending
  }

  private func finalState(of runID: String) -> StageRunState? {
    let run: StageRunRecord?
    do {
      run = try store.stageRun(runID)
    } catch {
      return nil  // could not tell: decide on a later pass
    }
    guard let run else { return .terminated }  // purged: as good as ended
    return run.state.isSettled ? run.state : nil
  }

  private func runIsOver(_ runID: String) -> Bool { finalState(of: runID) != nil }
}
