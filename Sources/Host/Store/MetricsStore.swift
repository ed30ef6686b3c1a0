import Foundation
import GRDB

/// Where live ingestion of a run's metrics file stands: the byte offset read up to and when
/// points last arrived.
public struct MetricsProgress: Sendable, Equatable {
  public var offset: Int64
  public var updatedAt: String?
}

/// How many runs of the same workspace and stage came before a run, and how many of them failed.
public struct AttemptContext: Sendable, Equatable {
  public var attempt: Int
  public var failures: Int

  /// Upstream's wording: "attempt #3, 2 failures".
  public var text: String { "attempt #\(attempt), \(failures) failure\(failures == 1 ? "" : "s")" }
}

extension ProjectStore {
  /// Stores one point and keeps its name's summary, inside the caller's transaction. A point
  /// already stored (same name, step and time) is ignored, so reading a file again is harmless.
  static func insertMetric(_ db: Database, _ stageRunID: String, _ metric: MetricRecord) throws {
    try db.execute(
      sql: "INSERT OR IGNORE INTO run_metrics (stage_run_id, name, value, step, timestamp) VALUES (?, ?, ?, ?, ?)",
      arguments: [stageRunID, metric.name, metric.value, metric.step, metric.timestamp])
    guard db.changesCount == 1 else { return }
    try db.execute(
      sql: """
        INSERT INTO run_metrics_summary
          (stage_run_id, name, count, min_value, max_value, last_value, last_step, last_timestamp)
        VALUES (?, ?, 1, ?, ?, ?, ?, ?)
        ON CONFLICT (stage_run_id, name) DO UPDATE SET
          count = count + 1, min_value = min(min_value, excluded.min_value),
          max_value = max(max_value, excluded.max_value), last_value = excluded.last_value,
          last_step = excluded.last_step, last_timestamp = excluded.last_timestamp
        """,
      arguments: [stageRunID, metric.name, metric.value, metric.value, metric.value, metric.step, metric.timestamp])
    let stored =
      try Int.fetchOne(
        db.cachedStatement(sql: "SELECT count FROM run_metrics_summary WHERE stage_run_id = ? AND name = ?"),
        arguments: [stageRunID, metric.name]) ?? 1
    try MetricRollups.add(db, stageRunID, metric, ordinal: stored - 1)
  }

  /// Stores the points read from a run's metrics file and the offset read up to, in one
  /// transaction: a crash between the two can neither lose points nor read them twice.
  public func ingestMetrics(_ stageRunID: String, _ metrics: [MetricRecord], offset: Int64) throws(GoldfishError) {
    try write { db in
      for metric in metrics { try Self.insertMetric(db, stageRunID, metric) }
      if metrics.isEmpty {
        try db.execute(
          sql: "UPDATE stage_runs SET metrics_offset = ? WHERE id = ?", arguments: [offset, stageRunID])
      } else {
        try db.execute(
          sql: "UPDATE stage_runs SET metrics_offset = ?, metrics_updated_at = ? WHERE id = ?",
          arguments: [offset, Timestamp.now(), stageRunID])
      }
    }
  }

  public func metricsProgress(of stageRunID: String) throws(GoldfishError) -> MetricsProgress {
    try read { db in
      let row = try Row.fetchOne(
        db, sql: "SELECT metrics_offset, metrics_updated_at FROM stage_runs WHERE id = ?", arguments: [stageRunID])
      return MetricsProgress(offset: row?["metrics_offset"] ?? 0, updatedAt: row?["metrics_updated_at"])
    }
  }

  /// One metric's points in the order they were logged; the run_metrics_series index
  /// (stage_run_id, name, id) serves it without a sort.
  public func metricSeries(of stageRunID: String, name: String) throws(GoldfishError) -> [MetricRecord] {
    try read { db in
      try MetricRecord.fetchAll(
        db,
        sql: "SELECT name, value, step, timestamp FROM run_metrics WHERE stage_run_id = ? AND name = ? ORDER BY id",
        arguments: [stageRunID, name])
    }
  }

  /// The last `limit` values of one metric, oldest first (for its trend).
  public func recentMetricValues(of stageRunID: String, name: String, limit: Int) throws(GoldfishError) -> [Double] {
    try read { db in
      try Double.fetchAll(
        db,
        sql: "SELECT value FROM run_metrics WHERE stage_run_id = ? AND name = ? ORDER BY id DESC LIMIT ?",
        arguments: [stageRunID, name, limit]
      ).reversed()
    }
  }

  /// Runs of the same workspace and stage created before this one count as earlier attempts;
  /// those that ended failed or terminated count as failures (a cancel is a choice, not a failure).
  public func attemptContext(of run: StageRunRecord) throws(GoldfishError) -> AttemptContext {
    try read { db in
      let row = try Row.fetchOne(
        db,
        sql: """
          SELECT COUNT(*) AS earlier,
            COALESCE(SUM(state IN ('failed', 'terminated')), 0) AS failures
          FROM stage_runs
          WHERE workspace = ? AND stage = ? AND id != ? AND (created_at < ? OR (created_at = ? AND id < ?))
          """,
        arguments: [run.workspace, run.stage, run.id, run.createdAt, run.createdAt, run.id])
      let earlier: Int = row?["earlier"] ?? 0
      return AttemptContext(attempt: earlier + 1, failures: row?["failures"] ?? 0)
    }
  }

  /// Thoughts logged about this run. Thoughts carry a run only once the thoughts table has a
  /// run_id column; before that no thought names a run and the answer is empty.
  public func thoughts(ofRun stageRunID: String) throws(GoldfishError) -> [ThoughtRecord] {
    try read { db in
      guard try db.columns(in: "thoughts").contains(where: { $0.name == "run_id" }) else { return [] }
      return try ThoughtRecord.fetchAll(
        db, sql: "SELECT * FROM thoughts WHERE run_id = ? ORDER BY id DESC", arguments: [stageRunID])
    }
  }
}
