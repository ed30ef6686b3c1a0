import Foundation
import PluginKit

/// What happens to a run's worker when the run reaches a final state. Found through the run's
/// lease, so a worker that was already released, recycled for another run or idle is never
/// touched (upstream #29), and a run that never held a worker costs one keyed read.
struct WarmRunEnd {
  let pool: WarmPool

  var store: ProjectStore { pool.store }

  /// Succeeded (awaiting finalization or completed) or failed: the job ended normally, the
  /// worker goes back to the pool (busy → draining, lease released, then draining → idle_ready
  /// as soon as the worker says it is idle, which the agent does before publishing the exit
  /// code). Canceled/terminated: the worker is deleted.
  func runEnded(_ runID: String, state: StageRunState, source: String) {
    guard let row = try? store.worker(leasedTo: runID) else { return }
    switch state {
    case .completed, .failed, .postRun, .awaitingUserFinalization:
      let released = try? store.transitionWorker(
        row.workerID, .jobFinished, expecting: .busy, expectedLease: .some(runID), source: source,
        reason: "run \(runID) \(state.rawValue)")
      guard released?.moved == true, let draining = try? store.worker(row.workerID) else {
        // Still launching (the launch never registered a worker): nothing to reuse.
        if row.state == .launching {
          pool.requestDeletion(row, source: source, reason: "run \(runID) ended before its worker registered")
        }
        return
      }
      settleDrain(draining, source: source)
    default:
      pool.requestDeletion(row, source: source, reason: "run \(runID) \(state.rawValue)")
    }
  }

  /// draining → idle_ready once the worker itself says idle; anything else is left for the
  /// reaper, which keeps asking (and deletes a worker that drains too long, upstream #34).
  @discardableResult
  func settleDrain(_ row: WarmWorkerRecord, source: String) -> Bool {
    guard row.state == .draining else { return false }
    let probe = pool.probe(row)
    try? store.recordLiveness(row.workerID, probe.liveness)
    guard probe.liveness == .alive, probe.state == "idle" else { return false }
    return
      (try? store.transitionWorker(
        row.workerID, .drainComplete, expecting: .draining, expectedLease: .some(nil), source: source,
        reason: "the worker reports idle"))?.moved ?? false
  }
}
