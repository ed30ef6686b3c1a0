import Foundation
import Logging
import PluginKit

/// Jobs a backend holds that no run watches, found by their launch labels through `list_runs`
/// (backends without it are skipped). A host killed after `launch` answered but before the
/// handle was stored leaves such a job; the next driver adopts it when its run is still
/// launching, and stops and cleans it up when its run already ended.
struct OrphanJobs {
  let services: ExecutionServices
  var store: ProjectStore { services.project.store }
  static let logger = Logger(label: "goldfish.runs")

  var supported: Bool { services.backend.supports("list_runs") }

  /// The job launched for `runID`, as the backend lists it; nil when none (or not supported).
  func listed(runID: String) -> ListedRun? {
    guard supported else { return nil }
    return list(["goldfish-run": runID]).first {
      $0.labels["goldfish-run"] == runID
    }
  }

  /// Stops and releases every listed job of this project whose run already ended. Returns the
  /// run ids whose jobs were stopped.
  @discardableResult
  func stopEnded() -> [String] {
    guard supported else { return [] }
    var stopped: [String] = []
    for job in list(["goldfish-project": services.project.settings.projectName]) {
      guard let runID = job.labels["goldfish-run"], let run = try? store.stageRun(runID), run.state.isSettled
      else { continue }
      Self.logger.warning("run \(runID) is \(run.state.rawValue) but its job still exists: stopping and releasing it")
      try? services.backendClient.cancel(handle: job.handle, reason: "orphan")
      try? services.backendClient.cleanup(handle: job.handle)
      stopped.append(runID)
    }
    return stopped
  }

  private func list(_ labels: [String: String]) -> [ListedRun] {
    do {
      return try services.backendClient.listRuns(LabelsRequest(labels: labels)).runs
    } catch {
      // A wrong shape is an invalid_response naming the backend and list_runs.
      Self.logger.warning("cannot list the jobs of the \(error.service) backend: \(error.error.message)")
    }
    return []
  }
}
