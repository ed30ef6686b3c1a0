import Foundation
import PluginKit

/// Emergency cleanup (`warm_pool_cleanup`, `goldfish pool cleanup`): deletes every worker of
/// the pool, and every worker the backend lists with this project's label that has no row
/// (one the host lost track of). Runs holding a worker are canceled first, so no run is left
/// waiting on a worker that is gone.
public struct WarmPoolCleanup: Sendable {
  public let pool: WarmPool

  public init(services: ExecutionServices) { pool = WarmPool(services: services) }

  var store: ProjectStore { pool.store }

  /// Upstream's answer shape.
  public struct Result: Codable, Sendable, Equatable {
    public var success: Bool
    /// Workers confirmed gone.
    public var deleted: [String]
    /// Deletion requested, not confirmed yet; the reaper keeps at it.
    public var deletionPending: [String]
    /// Not touched, with why.
    public var skipped: [String]
    public var remaining: Int
    public var remainingInstances: [String]

    enum CodingKeys: String, CodingKey {
      case success, deleted
      case deletionPending = "deletion_pending"
      case skipped, remaining
      case remainingInstances = "remaining_instances"
    }
  }

  public func run(reason: String) throws(GoldfishError) -> Result {
    guard pool.backendSupportsReuse else {
      throw GoldfishError(
        .serviceUnsupported, "the run backend \(pool.backendName) keeps no warm workers",
        hint: "the warm pool needs a backend with the warm_reuse capability")
    }
    var result = Result(
      success: true, deleted: [], deletionPending: [], skipped: [], remaining: 0, remainingInstances: [])
    for row in try store.workers(backend: pool.backendName) {
      if row.state == .gone {
        _ = try store.dropGoneWorker(row.workerID)
        result.deleted.append(row.workerID)
        continue
      }
      if let runID = row.leaseRunID, let run = try store.stageRun(runID), run.state.isActive {
        // The run would otherwise wait on a worker that is about to vanish.
        _ = try? store.transition(
          runID, .userCancel, TransitionContext(source: "warm_pool_cleanup", reason: "warm pool cleanup: \(reason)"))
      }
      if row.state != .deleting {
        _ = try store.transitionWorker(
          row.workerID, .deleteRequested, expecting: row.state, expectedLease: .some(row.leaseRunID),
          source: "warm_pool_cleanup", reason: reason)
      }
      guard let current = try store.worker(row.workerID) else {
        result.deleted.append(row.workerID)
        continue
      }
      if current.state == .deleting && pool.deleteWorker(current, source: "warm_pool_cleanup") {
        result.deleted.append(row.workerID)
      } else if current.state == .deleting {
        result.deletionPending.append(row.workerID)
      } else {
        result.skipped.append("\(row.workerID): moved to \(current.state.rawValue) meanwhile")
        result.success = false
      }
    }
    deleteUntracked(&result)
    let left = try store.workers(backend: pool.backendName)
    result.remaining = left.count
    result.remainingInstances = left.map(\.workerID)
    return result
  }

  /// Workers the backend knows under this project's label and the pool does not.
  private func deleteUntracked(_ result: inout Result) {
    guard pool.backend.service.supports("list_workers") else { return }
    let labels = ["goldfish-project": pool.services.project.settings.projectName]
    let listed: [JSONValue]
    do {
      listed = try pool.backend.listWorkers(LabelsRequest(labels: labels)).workers
    } catch {
      result.skipped.append("untracked workers: list_workers failed: \(error.error.message)")
      result.success = false
      return
    }
    let tracked = Set(((try? store.workers()) ?? []).map(\.workerID))
    for worker in listed {
      let id = worker["worker_id"]?.stringValue ?? (try? JSONCoding.encode(worker)) ?? "?"
      if tracked.contains(id) { continue }
      do {
        let confirmed = try pool.backend.deleteWorker(WorkerRequest(worker: worker)).confirmed
        if confirmed { result.deleted.append(id) } else { result.deletionPending.append(id) }
      } catch {
        result.skipped.append("\(id): delete_worker failed: \(error.error.message)")
        result.success = false
      }
    }
  }
}
