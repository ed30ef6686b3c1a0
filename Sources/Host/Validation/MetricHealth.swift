import Foundation
import Logging
import PluginKit

/// The during-run rules over a stage's metrics (`svs.metric_health_*`), checked after every
/// poll's ingestion: a non-finite value, divergence (the last N points all above the best so far
/// times a factor) and, when a window is set, a stall (no new best within the window). Each new
/// breach is recorded once as a `during_run` review by `metric_health`; with
/// `metric_health_auto_stop` an error breach asks the stage to stop (`StopRequest`).
public struct MetricHealth: Sendable {
  public let store: ProjectStore
  public let config: MetricHealthConfig
  /// Where the stop file goes; nil records breaches without ever asking for a stop.
  public var stopper: StopRequest?

  static let logger = Logger(label: "goldfish.svs")

  public init(store: ProjectStore, config: MetricHealthConfig, stopper: StopRequest? = nil) {
    self.store = store
    self.config = config
    self.stopper = stopper
  }

  /// Checks a run's metrics; `nonFinite` names the metrics a poll saw with NaN or infinite values
  /// (they cannot be stored as points). Returns the findings recorded now. Never throws: a poll
  /// must not fail because a check could not run.
  @discardableResult
  public func check(_ run: StageRunRecord, nonFinite: [String] = []) -> [SVSFinding] {
    guard config.enabled else { return [] }
    do {
      return try checkOrThrow(run, nonFinite: nonFinite)
    } catch {
      Self.logger.warning("run \(run.id): the metric health check failed (next poll retries): \(error.message)")
      return []
    }
  }

  private func checkOrThrow(_ run: StageRunRecord, nonFinite: [String]) throws(GoldfishError) -> [SVSFinding] {
    var findings: [SVSFinding] = []
    for name in Set(nonFinite).sorted() where config.watches(name) {
      findings.append(
        SVSFinding(
          check: "non_finite", severity: .error, message: "metric \(name) logged a NaN or infinite value",
          subject: name))
    }
    for summary in try store.metricSummaries(of: run.id) where config.watches(summary.name) {
      findings += try rules(summary, runID: run.id)
    }
    let earlier = try store.reviews(ofStageRun: run.id, kind: .duringRun).filter { $0.reviewer == "metric_health" }
    let seen = Set(earlier.flatMap(\.findings).map { "\($0.check)/\($0.subject ?? "")" })
    let new = findings.filter { !seen.contains("\($0.check)/\($0.subject ?? "")") }
    guard !new.isEmpty else { return [] }
    try store.addReview(
      SVSReview(
        stageRunID: run.id, kind: .duringRun, decision: SVSReview.Decision(findings: new, blockOnError: false),
        reviewer: "metric_health", findings: new))
    if config.autoStop, let stopper, let worst = new.first(where: { $0.severity == .error }) {
      try stopper.request(run, reason: "metric health: \(worst.message)")
    }
    return new
  }

  /// Divergence and stall of one metric, read from its summary and its last points only.
  private func rules(_ summary: MetricSummary, runID: String) throws(GoldfishError) -> [SVSFinding] {
    var findings: [SVSFinding] = []
    let best = summary.minValue
    let points = config.divergencePoints
    if summary.count > points {
      let recent = try store.recentMetricValues(of: runID, name: summary.name, limit: points)
      let limit = best >= 0 ? best * config.divergenceFactor : best / config.divergenceFactor
      if recent.count == points, recent.allSatisfy({ $0 > limit }), best != 0 || recent.allSatisfy({ $0 > 0 }) {
        findings.append(
          SVSFinding(
            check: "divergence", severity: .error,
            message:
              "metric \(summary.name) diverges: its last \(points) values (\(Self.show(recent))) are all above \(config.divergenceFactor)× its best \(Self.show([best]))",
            subject: summary.name,
            details: [
              "best": .double(best), "recent": .array(recent.map(JSONValue.double)),
              "factor": .double(config.divergenceFactor),
            ]))
      }
    }
    let window = config.stallWindow
    if window > 0, summary.count > window {
      let recent = try store.recentMetricValues(of: runID, name: summary.name, limit: window)
      if let recentBest = recent.min(), recentBest > best {
        findings.append(
          SVSFinding(
            check: "stall", severity: .warning,
            message:
              "metric \(summary.name) stalls: no new best in its last \(window) points (best \(Self.show([best])), best of the window \(Self.show([recentBest])))",
            subject: summary.name))
      }
    }
    return findings
  }

  static func show(_ values: [Double]) -> String {
    values.map { String(format: "%.6g", $0) }.joined(separator: ", ")
  }
}
