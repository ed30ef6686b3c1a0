import Foundation
import PluginKit

@testable import Host

/// A stage that keeps running while it logs `loss` every 0.3 s (flushed at once), and a watch
/// of its run through `inspect` while it runs: what the live-metrics tests of every backend share.
enum LiveMetricsStage {
  /// Python for a stage that logs `steps` points of `loss`, flushing each, then writes `output`.
  static func script(output: String, steps: Int = 20) -> String {
    """
    import time
    from goldfish.io import flush_metrics, get_output_path, log_metric, save_output

    for step in range(\(steps)):
        log_metric("loss", 1.0 / (step + 1), step=step)
        flush_metrics()
        time.sleep(0.3)
    with open(get_output_path("\(output)"), "w") as handle:
        handle.write("done")
    save_output("\(output)", get_output_path("\(output)"))
    print("logged \(steps) points")

    """
  }

  /// What the watch saw: the dashboard entry of `loss` while the run was `running` (nil if the
  /// run ended first), and the run's stage runs once its driver returned.
  struct Watch {
    var seenWhileRunning: DashboardMetric?
    var seenRunID: String?
    var runs: [StageRunRecord]
  }

  /// Drives pipeline run `pipelineRunID` on another thread and inspects its stage `stage`
  /// (default include) until `loss` has at least `count` points while the run is still
  /// `running`, or the run ends. Bounded by the stage's own length, not by a timed assertion.
  static func watch(
    _ project: Project, pipelineRunID: String, stage: String, count: Int = 2
  ) throws -> Watch {
    let services = try ExecutionServices.open(project)
    let ended = DispatchSemaphore(value: 0)
    nonisolated(unsafe) var driveError: (any Error)?
    Thread.detachNewThread {
      do {
        _ = try PipelineDriver(services: services, pipelineRunID: pipelineRunID).drive()
      } catch {
        driveError = error
      }
      ended.signal()
    }
    let queries = RunQueries(services: services)
    var seen: DashboardMetric?
    var seenRunID: String?
    while seen == nil {
      if ended.wait(timeout: .now() + 0.1) == .success {
        ended.signal()
        break
      }
      guard let run = try project.store.stageRuns(ofPipelineRun: pipelineRunID).first(where: { $0.stage == stage })
      else { continue }
      let inspection = try queries.inspect(run.id)
      if inspection.details.run.state == .running, let loss = inspection.dashboard?.metrics["loss"],
        loss.count >= count
      {
        seen = loss
        seenRunID = run.id
      }
    }
    ended.wait()
    if let driveError { throw driveError }
    return Watch(
      seenWhileRunning: seen, seenRunID: seenRunID, runs: try project.store.stageRuns(ofPipelineRun: pipelineRunID))
  }
}
