import GRDB
import PluginKit

/// How a finalized run compares with the run before it and with the best one, and what changed
/// in its config since the run before: what an agent reads to decide what to try next.
public struct RecordComparison: Codable, Sendable, Equatable {
  /// The last finalized run of the same workspace and stage before this one.
  public struct Previous: Codable, Sendable, Equatable {
    public var record: String
    public var stageRunID: String?
    /// This run's value minus that run's, rounded to 1e-6; nil when they measured different metrics.
    public var delta: Double?

    enum CodingKeys: String, CodingKey {
      case record, stageRunID = "stage_run_id", delta
    }
  }

  /// The spec's `baseline_run`, else the record of the newest `best`/`best-…` tag.
  public struct Best: Codable, Sendable, Equatable {
    public var record: String
    public var delta: Double?
    public var tag: String?
  }

  public var vsPrevious: Previous?
  public var vsBest: Best?
  /// Config keys (dotted paths) added, removed or changed since the previous run; nil without one.
  public var configDiff: ConfigDiff?
  /// What SVS found about this run and the previous one; nil when neither was reviewed.
  public var svsFindings: SVSFindingsComparison?

  enum CodingKeys: String, CodingKey {
    case vsPrevious = "vs_previous", vsBest = "vs_best", configDiff = "config_diff", svsFindings = "svs_findings"
  }

  public func encode(to encoder: any Encoder) throws {
    var fields = encoder.container(keyedBy: CodingKeys.self)
    // Absent comparisons are null, not missing: an agent reads "no previous run" from the key.
    try fields.encode(vsPrevious, forKey: .vsPrevious)
    try fields.encode(vsBest, forKey: .vsBest)
    try fields.encode(configDiff, forKey: .configDiff)
    try fields.encodeIfPresent(svsFindings, forKey: .svsFindings)
  }

  static func delta(_ value: Double, _ other: Double) -> Double {
    ((value - other) * 1_000_000).rounded() / 1_000_000
  }
}

/// The difference between two stage configs, nested keys as dotted paths.
public struct ConfigDiff: Codable, Sendable, Equatable {
  public struct Change: Codable, Sendable, Equatable {
    public var from: JSONValue
    public var to: JSONValue
  }

  public var added: [String: JSONValue]
  public var removed: [String: JSONValue]
  public var changed: [String: Change]

  public init(from old: JSONValue?, to new: JSONValue?) {
    let before = Self.flatten(old ?? .object([:]))
    let after = Self.flatten(new ?? .object([:]))
    added = after.filter { before[$0.key] == nil }
    removed = before.filter { after[$0.key] == nil }
    changed = [:]
    for (key, value) in after {
      if let previous = before[key], previous != value { changed[key] = Change(from: previous, to: value) }
    }
  }

  public var isEmpty: Bool { added.isEmpty && removed.isEmpty && changed.isEmpty }

  static func flatten(_ value: JSONValue, prefix: String = "") -> [String: JSONValue] {
    guard case .object(let fields) = value, !(fields.isEmpty && !prefix.isEmpty) else {
      return prefix.isEmpty ? [:] : [prefix: value]
    }
    var flat: [String: JSONValue] = [:]
    for (key, inner) in fields {
      flat.merge(flatten(inner, prefix: prefix.isEmpty ? key : prefix + "." + key)) { _, new in new }
    }
    return flat
  }
}

enum Comparison {
  /// The comparison of a run's result `value` of `metric`, read in the transaction `db`.
  static func compute(
    _ db: Database, record: ExperimentRecord, run: StageRunRecord, metric: String, value: Double
  ) throws -> RecordComparison {
    var comparison = RecordComparison()
    if let previous = try Row.fetchOne(
      db,
      sql: """
        SELECT record_id, stage_run_id, primary_metric, primary_value FROM run_results
        WHERE workspace = ? AND stage = ? AND results_status = 'finalized' AND record_id < ?
        ORDER BY record_id DESC LIMIT 1
        """,
      arguments: [record.workspace, run.stage, record.id])
    {
      let previousValue: Double? = previous["primary_value"]
      let sameMetric = (previous["primary_metric"] as String?) == metric
      let previousRunID: String? = previous["stage_run_id"]
      comparison.vsPrevious = .init(
        record: previous["record_id"], stageRunID: previousRunID,
        delta: sameMetric ? previousValue.map { RecordComparison.delta(value, $0) } : nil)
      let previousConfig = try previousRunID.flatMap { try StageRunRecord.fetchOne(db, key: $0) }?.config
      comparison.configDiff = ConfigDiff(from: parse(previousConfig), to: parse(run.config))
    }
    comparison.svsFindings = try SVSFindingsComparison.compute(
      db, run: run.id, previous: comparison.vsPrevious?.stageRunID)
    if let best = try best(db, record: record, run: run) {
      let row = try Row.fetchOne(
        db, sql: "SELECT primary_metric, primary_value FROM run_results WHERE record_id = ?", arguments: [best.record])
      let bestValue: Double? = row?["primary_value"]
      let sameMetric = (row?["primary_metric"] as String?) == metric
      comparison.vsBest = .init(
        record: best.record, delta: sameMetric ? bestValue.map { RecordComparison.delta(value, $0) } : nil,
        tag: best.tag)
    }
    return comparison
  }

  /// The baseline the run's spec names, else the newest `best`/`best-…` tag's record. A baseline
  /// that names nothing falls back to the best tag rather than failing the finalization.
  private static func best(
    _ db: Database, record: ExperimentRecord, run: StageRunRecord
  ) throws -> (
    record: String, tag: String?
  )? {
    let spec = try String.fetchOne(
      db, sql: "SELECT spec FROM run_results_spec WHERE stage_run_id = ?", arguments: [run.id])
    if let baseline = parse(spec)?["baseline_run"]?.stringValue, !baseline.isEmpty,
      let found = try? baselineRecord(db, baseline, workspace: record.workspace)
    {
      return (found.id, baseline.hasPrefix("@") ? String(baseline.dropFirst()) : nil)
    }
    guard
      let tag = try RecordTag.fetchOne(
        db,
        sql: """
          SELECT * FROM record_tags WHERE workspace = ? AND (tag = 'best' OR tag LIKE 'best-%')
          ORDER BY created_at DESC, rowid DESC LIMIT 1
          """,
        arguments: [record.workspace])
    else { return nil }
    if let id = tag.recordID { return (id, tag.tag) }
    guard let tagged = try? RecordRef.record(taggedAs: tag.tag, workspace: record.workspace, db) else { return nil }
    return (tagged.id, tag.tag)
  }

  private static func baselineRecord(_ db: Database, _ ref: String, workspace: String) throws -> ExperimentRecord? {
    if ref.hasPrefix("@") { return try RecordRef.record(taggedAs: String(ref.dropFirst()), workspace: workspace, db) }
    if ref.hasPrefix("stage-") {
      return try ExperimentRecord.filter(ExperimentRecord.CodingKeys.stageRunID == ref).fetchOne(db)
    }
    return try ExperimentRecord.fetchOne(db, key: ref.uppercased())
  }

  static func parse(_ json: String?) -> JSONValue? {
    json.flatMap { try? JSONCoding.parse($0) }
  }
}
