import Foundation
import GRDB
import PluginKit

/// Where a workspace's experiments stand, in one answer (upstream's `get_experiment_context`):
/// the best result (the record of the newest `best`/`best-…` tag), the runs waiting to be
/// finalized, the last ten finalized results and the results newer than the best that fell
/// below it by more than their tolerance. `mount`, STATE.md and the CLI show the same thing.
///
/// Every read is bounded by an index: the best through record_tags' key, the waiting runs
/// through run_results_pending, the trend newest-first along records_by_workspace, the
/// regressions by value along run_results_by_metric (only values worse than the best are read).
public struct ExperimentContext: Sendable, Equatable {
  public struct Best: Sendable, Equatable {
    public var tag: String
    public var recordID: String?
    public var stageRunID: String?
    public var stage: String?
    public var version: Int?
    public var metric: String?
    public var value: Double?
    public var direction: String?
    public var resultsStatus: String?
  }

  public struct Awaiting: Sendable, Equatable {
    public var stageRunID: String
    public var recordID: String
    public var stage: String
    public var infraOutcome: String?
    public var resultsStatus: String
    public var createdAt: String?
    public var age: String
  }

  public struct TrendPoint: Sendable, Equatable {
    public var recordID: String
    public var stageRunID: String
    public var stage: String
    public var value: Double
    public var primaryMetric: String
    public var direction: String?
    public var tolerance: Double
    public var mlOutcome: String?
    public var finalizedAt: String?
  }

  public struct Regression: Sendable, Equatable {
    public var recordID: String
    public var stageRunID: String
    public var stage: String
    public var metric: String
    public var value: Double
    public var bestValue: Double
    /// value − best, rounded to 1e-6: negative for maximize, positive for minimize.
    public var delta: Double
    public var direction: String
    public var tolerance: Double
  }

  /// Used when a run's results spec names no tolerance (upstream's default).
  public static let defaultTolerance = 0.01
  static let trendLength = 10
  static let listLimit = 20

  public var workspace: String
  public var currentBest: Best?
  public var awaitingFinalization: [Awaiting]
  /// Newest first.
  public var recentTrend: [TrendPoint]
  /// Newest first.
  public var regressionAlerts: [Regression]

  public static func load(
    _ store: ProjectStore, workspace: String, now: Date = Date()
  ) throws(GoldfishError)
    -> ExperimentContext
  {
    let best = try store.currentBest(workspace: workspace)
    let awaiting = try store.unfinalizedRuns(workspace: workspace, limit: listLimit).map { run in
      let created = ULID.date(of: run.recordID)
      return Awaiting(
        stageRunID: run.stageRunID, recordID: run.recordID, stage: run.stage, infraOutcome: run.infraOutcome?.rawValue,
        resultsStatus: run.resultsStatus.rawValue, createdAt: created.map(Timestamp.format),
        age: created.map { age(since: $0, now: now) } ?? "unknown")
    }
    let trend = try store.finalizedTrend(workspace: workspace, limit: trendLength)
    var regressions: [Regression] = []
    if let best { regressions = try store.regressions(below: best) }
    return ExperimentContext(
      workspace: workspace, currentBest: best, awaitingFinalization: awaiting, recentTrend: trend,
      regressionAlerts: regressions)
  }

  /// "42s ago", "5m ago", "3h ago", "2d ago": recency at a glance.
  public static func age(since date: Date, now: Date = Date()) -> String {
    let seconds = max(0, Int(now.timeIntervalSince(date)))
    switch seconds {
    case ..<60: return "\(seconds)s ago"
    case ..<3600: return "\(seconds / 60)m ago"
    case ..<86_400: return "\(seconds / 3600)h ago"
    default: return "\(seconds / 86_400)d ago"
    }
  }

  public static func age(of timestamp: String, now: Date = Date()) -> String {
    Timestamp.parse(timestamp).map { age(since: $0, now: now) } ?? "unknown"
  }

  /// A metric value as people read it: up to six significant digits, no trailing zeros.
  public static func number(_ value: Double) -> String { String(format: "%.6g", value) }
}

// MARK: upstream's JSON shape, shared by the MCP tool, mount and the CLI's --json

extension ExperimentContext {
  public var json: JSONValue {
    let text = { (value: String?) in value.map(JSONValue.string) ?? .null }
    let number = { (value: Double?) in value.map(JSONValue.double) ?? .null }
    let best: JSONValue =
      currentBest.map { best in
        [
          "record_id": text(best.recordID), "stage_run_id": text(best.stageRunID), "stage": text(best.stage),
          "version": best.version.map { JSONValue.string("v\($0)") } ?? .null, "tag": .string(best.tag),
          "metric": text(best.metric), "value": number(best.value), "direction": text(best.direction),
          "results_status": text(best.resultsStatus),
        ]
      } ?? .null
    return [
      "workspace": .string(workspace),
      "current_best": best,
      "awaiting_finalization": .array(
        awaitingFinalization.map { run in
          [
            "stage_run_id": .string(run.stageRunID), "record_id": .string(run.recordID), "stage": .string(run.stage),
            "infra_outcome": text(run.infraOutcome), "results_status": .string(run.resultsStatus),
            "created_at": text(run.createdAt), "age": .string(run.age),
          ]
        }),
      "recent_trend": .array(
        recentTrend.map { point in
          [
            "record_id": .string(point.recordID), "stage_run_id": .string(point.stageRunID),
            "stage": .string(point.stage), "value": .double(point.value),
            "primary_metric": .string(point.primaryMetric), "direction": text(point.direction),
            "tolerance": .double(point.tolerance), "ml_outcome": text(point.mlOutcome),
            "finalized_at": text(point.finalizedAt),
          ]
        }),
      "regression_alerts": .array(
        regressionAlerts.map { alert in
          [
            "record_id": .string(alert.recordID), "stage_run_id": .string(alert.stageRunID),
            "stage": .string(alert.stage), "metric": .string(alert.metric), "value": .double(alert.value),
            "best_value": .double(alert.bestValue), "delta": .double(alert.delta),
            "direction": .string(alert.direction), "tolerance": .double(alert.tolerance),
          ]
        }),
    ]
  }
}

/// How many runs of a workspace wait for finalization, and the oldest of them.
public struct PendingFinalization: Codable, Sendable, Equatable {
  public var count: Int
  public var example: String
}

// MARK: the reads

extension ProjectStore {
  /// The record the newest best tag names, with its result when it is a run.
  func currentBest(workspace: String) throws(GoldfishError) -> ExperimentContext.Best? {
    guard let tag = try bestTag(workspace: workspace) else { return nil }
    return try read { db in
      var best = ExperimentContext.Best(tag: tag.tag, recordID: tag.recordID, version: tag.version)
      let record =
        try tag.recordID.flatMap { try ExperimentRecord.fetchOne(db, key: $0) }
        ?? tag.version.flatMap { version in
          try ExperimentRecord.fetchOne(
            db, sql: "SELECT * FROM experiment_records WHERE workspace = ? AND version = ? ORDER BY id DESC LIMIT 1",
            arguments: [workspace, version])
        }
      guard let record else { return best }
      best.recordID = record.id
      best.version = record.version ?? best.version
      best.stageRunID = record.stageRunID
      best.stage = record.stage
      guard let run = try record.stageRunID.flatMap({ try RunResultsRecord.fetchOne(db, key: $0) }) else {
        return best
      }
      best.metric = run.primaryMetric
      best.value = run.primaryValue
      best.resultsStatus = run.resultsStatus.rawValue
      let spec = try String.fetchOne(
        db, sql: "SELECT spec FROM run_results_spec WHERE stage_run_id = ?", arguments: [run.stageRunID])
      best.direction =
        Self.direction(in: run.resultsFinal) ?? Self.direction(in: run.resultsAuto) ?? Self.direction(in: spec)
      return best
    }
  }

  /// The newest finalized runs of a workspace, newest first, along the finalized rows only
  /// (run_results_finalized): walking every record of the workspace to find finalized ones read
  /// all of them when few or none were finalized.
  func finalizedTrend(workspace: String, limit: Int) throws(GoldfishError) -> [ExperimentContext.TrendPoint] {
    try read { db in
      try Row.fetchAll(
        db,
        sql: """
          SELECT r.record_id, r.stage_run_id, r.stage, r.primary_metric, r.primary_value, r.results_final,
            r.ml_outcome, r.finalized_at, s.spec
          FROM run_results r INDEXED BY run_results_finalized
          JOIN experiment_records e ON e.id = r.record_id
          LEFT JOIN run_results_spec s ON s.stage_run_id = r.stage_run_id
          WHERE r.workspace = ? AND e.kind = 'run' AND r.results_status = 'finalized'
            AND r.primary_value IS NOT NULL
          ORDER BY r.record_id DESC LIMIT ?
          """,
        arguments: [workspace, limit]
      ).map { row in
        let final: String? = row["results_final"]
        return ExperimentContext.TrendPoint(
          recordID: row["record_id"], stageRunID: row["stage_run_id"], stage: row["stage"],
          value: row["primary_value"], primaryMetric: row["primary_metric"] ?? "",
          direction: Self.direction(in: final), tolerance: Self.tolerance(in: row["spec"]),
          mlOutcome: row["ml_outcome"], finalizedAt: row["finalized_at"])
      }
    }
  }

  /// Finalized runs newer than the best, on the best's metric, worse than it by more than their
  /// own tolerance. Only values worse than the best are read (run_results_by_metric).
  func regressions(below best: ExperimentContext.Best) throws(GoldfishError) -> [ExperimentContext.Regression] {
    guard let metric = best.metric, let bestValue = best.value, let direction = best.direction,
      let bestRecord = best.recordID, direction == "maximize" || direction == "minimize"
    else { return [] }
    let worse = direction == "maximize" ? "<" : ">"
    return try read { db in
      let rows = try Row.fetchAll(
        db,
        sql: """
          SELECT r.record_id, r.stage_run_id, r.stage, r.workspace, r.primary_value, s.spec
          FROM run_results r LEFT JOIN run_results_spec s ON s.stage_run_id = r.stage_run_id
          WHERE r.workspace = (SELECT workspace FROM experiment_records WHERE id = ?)
            AND r.primary_metric = ? AND r.primary_value \(worse) ?
            AND r.results_status = 'finalized' AND r.record_id > ?
          ORDER BY r.record_id DESC LIMIT 200
          """,
        arguments: [bestRecord, metric, bestValue, bestRecord])
      return rows.compactMap { row -> ExperimentContext.Regression? in
        let value: Double = row["primary_value"]
        let tolerance = Self.tolerance(in: row["spec"])
        let delta = ((value - bestValue) * 1e6).rounded() / 1e6
        guard abs(value - bestValue) > tolerance else { return nil }
        return ExperimentContext.Regression(
          recordID: row["record_id"], stageRunID: row["stage_run_id"], stage: row["stage"], metric: metric,
          value: value, bestValue: bestValue, delta: delta, direction: direction, tolerance: tolerance)
      }.prefix(ExperimentContext.listLimit).map { $0 }
    }
  }

  /// Runs waiting for finalization per workspace: how many, and the oldest as an example.
  /// The counts are kept by triggers (v12-pending-counts) and the example is the first entry of
  /// the partial index of waiting rows: nothing here grows with the number of runs.
  public func pendingFinalization() throws(GoldfishError) -> [String: PendingFinalization] {
    let names = Set(try workspaces().map(\.name))
    return try read { db in
      var pending: [String: PendingFinalization] = [:]
      let counts = try Row.fetchAll(db, sql: "SELECT workspace, runs FROM pending_finalization_counts WHERE runs > 0")
      for row in counts {
        let name: String = row["workspace"]
        let count: Int = row["runs"]
        guard names.contains(name),
          let example = try String.fetchOne(
            db,
            sql: """
              SELECT r.stage_run_id FROM run_results r INDEXED BY run_results_waiting
              JOIN stage_runs s ON s.id = r.stage_run_id
              WHERE r.workspace = ? AND \(PendingFinalizationMigration.waitingResults("r."))
                AND s.reused_from IS NULL
              ORDER BY r.record_id LIMIT 1
              """,
            arguments: [name])
        else { continue }
        pending[name] = PendingFinalization(count: count, example: example)
      }
      return pending
    }
  }

  /// Whether a workspace has any experiment record (a run or a checkpoint).
  func hasRecords(workspace: String) throws(GoldfishError) -> Bool {
    try read { db in
      try Bool.fetchOne(
        db, sql: "SELECT EXISTS (SELECT 1 FROM experiment_records WHERE workspace = ?)", arguments: [workspace])
        ?? false
    }
  }

  static func direction(in json: String?) -> String? {
    json.flatMap { try? JSONCoding.parse($0) }?["direction"]?.stringValue
  }

  static func tolerance(in spec: String?) -> Double {
    switch spec.flatMap({ try? JSONCoding.parse($0) })?["tolerance"] {
    case .double(let value)?: value
    case .int(let value)?: Double(value)
    default: ExperimentContext.defaultTolerance
    }
  }
}
