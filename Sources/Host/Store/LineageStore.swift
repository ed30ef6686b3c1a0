import GRDB

public struct SignalRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
  public static let databaseTableName = "signal_lineage"

  public var stageRunID: String
  public var signal: String
  public var direction: String
  public var signalType: String
  public var uri: String?
  public var sizeBytes: Int64?
  public var hash: String?
  public var sourceStageRunID: String?
  public var sourceName: String?

  enum CodingKeys: String, CodingKey, ColumnExpression {
    case stageRunID = "stage_run_id"
    case signal, direction
    case signalType = "signal_type"
    case uri
    case sizeBytes = "size_bytes"
    case hash
    case sourceStageRunID = "source_stage_run_id"
    case sourceName = "source_name"
  }

  public init(
    stageRunID: String, signal: String, direction: String, signalType: String, uri: String?, sizeBytes: Int64? = nil,
    hash: String? = nil, sourceStageRunID: String? = nil, sourceName: String? = nil
  ) {
    self.stageRunID = stageRunID
    self.signal = signal
    self.direction = direction
    self.signalType = signalType
    self.uri = uri
    self.sizeBytes = sizeBytes
    self.hash = hash
    self.sourceStageRunID = sourceStageRunID
    self.sourceName = sourceName
  }
}

public struct MetricRecord: Codable, Sendable, Equatable, FetchableRecord {
  public var name: String
  public var value: Double
  public var step: Int?
  public var timestamp: String
}

extension ProjectStore {
  /// Records signals; recording the same signal twice keeps one row (finalisation may be retried).
  public func recordSignals(_ signals: [SignalRecord]) throws(GoldfishError) {
    try write { db in
      for signal in signals { try signal.save(db) }
    }
  }

  public func signals(of stageRunID: String) throws(GoldfishError) -> [SignalRecord] {
    try read { db in
      try SignalRecord.filter(SignalRecord.CodingKeys.stageRunID == stageRunID)
        .order(SignalRecord.CodingKeys.direction, SignalRecord.CodingKeys.signal).fetchAll(db)
    }
  }

  /// Ingests metrics; a metric already stored (same name, step and time) is not duplicated.
  /// Each new point updates its name's summary (count, min, max, last) in the same transaction,
  /// so the dashboard and auto results read one row per metric, however long the series.
  public func recordMetrics(_ stageRunID: String, _ metrics: [MetricRecord]) throws(GoldfishError) {
    try write { db in
      for metric in metrics { try Self.insertMetric(db, stageRunID, metric) }
    }
  }

  /// One row per metric a run logged: count, min, max and its last point.
  public func metricSummaries(of stageRunID: String) throws(GoldfishError) -> [MetricSummary] {
    try read { db in
      try MetricSummary.fetchAll(
        db, sql: "SELECT * FROM run_metrics_summary WHERE stage_run_id = ? ORDER BY name", arguments: [stageRunID])
    }
  }

  public func metrics(of stageRunID: String) throws(GoldfishError) -> [MetricRecord] {
    try read { db in
      try MetricRecord.fetchAll(
        db,
        sql:
          "SELECT name, value, step, timestamp FROM run_metrics WHERE stage_run_id = ? ORDER BY name, step, timestamp",
        arguments: [stageRunID])
    }
  }
}

extension ProjectStore {
  /// Input signals of other runs that were produced by `stageRunID`.
  public func consumers(of stageRunID: String) throws(GoldfishError) -> [SignalRecord] {
    try read { db in
      try SignalRecord.filter(
        SignalRecord.CodingKeys.sourceStageRunID == stageRunID && SignalRecord.CodingKeys.direction == "input"
      ).fetchAll(db)
    }
  }
}
