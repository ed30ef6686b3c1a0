import Foundation
import GRDB
import PluginKit

/// A run's results row with its JSON fields parsed, as inspect_record shows it.
public struct RunResultsView: Encodable, Sendable {
  public var row: RunResultsRecord
  public var spec: String?

  enum Keys: String, CodingKey {
    case stageRunID = "stage_run_id", recordID = "record_id", resultsStatus = "results_status"
    case infraOutcome = "infra_outcome", mlOutcome = "ml_outcome", resultsAuto = "results_auto"
    case resultsFinal = "results_final", comparison, primaryMetric = "primary_metric"
    case primaryValue = "primary_value", finalizedBy = "finalized_by", finalizedAt = "finalized_at"
    case resultsSpec = "results_spec"
  }

  public func encode(to encoder: any Encoder) throws {
    var fields = encoder.container(keyedBy: Keys.self)
    try fields.encode(row.stageRunID, forKey: .stageRunID)
    try fields.encode(row.recordID, forKey: .recordID)
    try fields.encode(row.resultsStatus, forKey: .resultsStatus)
    try fields.encode(row.infraOutcome, forKey: .infraOutcome)
    try fields.encode(row.mlOutcome, forKey: .mlOutcome)
    try fields.encode(Comparison.parse(row.resultsAuto), forKey: .resultsAuto)
    try fields.encode(Comparison.parse(row.resultsFinal), forKey: .resultsFinal)
    try fields.encode(Comparison.parse(row.comparison), forKey: .comparison)
    try fields.encode(row.primaryMetric, forKey: .primaryMetric)
    try fields.encode(row.primaryValue, forKey: .primaryValue)
    try fields.encode(row.finalizedBy, forKey: .finalizedBy)
    try fields.encode(row.finalizedAt, forKey: .finalizedAt)
    try fields.encode(Comparison.parse(spec), forKey: .resultsSpec)
  }
}

/// What inspect_record shows: the record and what `include` asked for.
public struct RecordDetail: Encodable, Sendable {
  public enum Part: String, Sendable, CaseIterable { case results, comparison, tags }
  public static let defaultParts: [Part] = [.results, .tags]

  public var record: ExperimentRecord
  public var parts: [Part]
  public var results: RunResultsView?
  public var tags: [String]
  /// The approved failure patterns the run matched (empty for a checkpoint or a run none matched).
  public var patternMatches: [PatternMatch] = []

  /// The stored comparison of a finalized run (nil before finalizing or for a checkpoint).
  public var comparison: JSONValue? { results.flatMap { Comparison.parse($0.row.comparison) } }

  enum Keys: String, CodingKey {
    case recordID = "record_id", workspaceName = "workspace_name", type, stageRunID = "stage_run_id", stage
    case version, experimentGroup = "experiment_group", createdAt = "created_at", results, comparison, tags
    case patternMatches = "pattern_matches"
  }

  public func encode(to encoder: any Encoder) throws {
    var fields = encoder.container(keyedBy: Keys.self)
    try fields.encode(record.id, forKey: .recordID)
    try fields.encode(record.workspace, forKey: .workspaceName)
    try fields.encode(record.kind, forKey: .type)
    try fields.encode(record.stageRunID, forKey: .stageRunID)
    try fields.encode(record.stage, forKey: .stage)
    try fields.encode(record.version.map { "v\($0)" }, forKey: .version)
    try fields.encode(record.experimentGroup, forKey: .experimentGroup)
    try fields.encode(record.createdAt, forKey: .createdAt)
    if parts.contains(.results) { try fields.encode(results, forKey: .results) }
    if parts.contains(.comparison) { try fields.encode(comparison, forKey: .comparison) }
    if parts.contains(.tags) { try fields.encode(tags, forKey: .tags) }
    if record.stageRunID != nil { try fields.encode(patternMatches, forKey: .patternMatches) }
  }

  /// `include` as given by a face; unknown parts are refused with the allowed ones listed.
  public static func parts(_ names: [String]?) throws(GoldfishError) -> [Part] {
    guard let names else { return defaultParts }
    var parts: [Part] = []
    for name in names {
      guard let part = Part(rawValue: name) else {
        let allowed = Part.allCases.map(\.rawValue)
        throw GoldfishError(
          .invalidArgument, "include has an unknown part \(RunIdentifiers.display(name))",
          hint: "allowed: \(allowed.joined(separator: ", ")) (default: results, tags)",
          detail: ["allowed": .array(allowed.map(JSONValue.string))])
      }
      if !parts.contains(part) { parts.append(part) }
    }
    return parts
  }
}

/// A run that ended and waits for its result to be finalized.
public struct UnfinalizedRun: Encodable, Sendable {
  public var results: RunResultsRecord
  public var state: StageRunState?
  public var createdAt: String?

  enum Keys: String, CodingKey {
    case stageRunID = "stage_run_id", recordID = "record_id", stageName = "stage_name", state
    case createdAt = "created_at", resultsStatus = "results_status", infraOutcome = "infra_outcome"
    case resultsAuto = "results_auto"
  }

  public func encode(to encoder: any Encoder) throws {
    var fields = encoder.container(keyedBy: Keys.self)
    try fields.encode(results.stageRunID, forKey: .stageRunID)
    try fields.encode(results.recordID, forKey: .recordID)
    try fields.encode(results.stage, forKey: .stageName)
    try fields.encode(state, forKey: .state)
    try fields.encode(createdAt, forKey: .createdAt)
    try fields.encode(results.resultsStatus, forKey: .resultsStatus)
    try fields.encode(results.infraOutcome, forKey: .infraOutcome)
    try fields.encode(Comparison.parse(results.resultsAuto), forKey: .resultsAuto)
  }
}

/// One record of list_history, in upstream's keys.
public struct HistoryRecordView: Encodable, Sendable {
  public var entry: HistoryEntry
  public var now: Date
  public var internalIDs: Bool

  enum Keys: String, CodingKey {
    case recordID = "record_id", recordType = "record_type", version, createdAt = "created_at", age, stage, reason
    case state, resultsStatus = "results_status", mlOutcome = "ml_outcome", primaryMetric = "primary_metric", tags
    case experimentGroup = "experiment_group", stageRunID = "stage_run_id", pipelineRunID = "pipeline_run_id"
    case gitTag = "git_tag"
  }

  struct Metric: Encodable {
    var name: String
    var value: Double
  }

  public func encode(to encoder: any Encoder) throws {
    var fields = encoder.container(keyedBy: Keys.self)
    try fields.encode(entry.recordID, forKey: .recordID)
    try fields.encode(entry.kind, forKey: .recordType)
    try fields.encode(entry.version.map { "v\($0)" }, forKey: .version)
    try fields.encode(entry.createdAt, forKey: .createdAt)
    try fields.encode(ExperimentContext.age(of: entry.createdAt, now: now), forKey: .age)
    try fields.encode(entry.stage, forKey: .stage)
    try fields.encode(entry.reason, forKey: .reason)
    try fields.encode(entry.state, forKey: .state)
    try fields.encode(entry.resultsStatus, forKey: .resultsStatus)
    try fields.encode(entry.mlOutcome, forKey: .mlOutcome)
    let metric = entry.primaryMetric.flatMap { name in entry.primaryValue.map { Metric(name: name, value: $0) } }
    try fields.encode(metric, forKey: .primaryMetric)
    try fields.encode(entry.tags, forKey: .tags)
    try fields.encode(entry.experimentGroup, forKey: .experimentGroup)
    try fields.encode(entry.stageRunID, forKey: .stageRunID)
    if internalIDs {
      try fields.encode(entry.pipelineRunID, forKey: .pipelineRunID)
      try fields.encode(entry.versionTag, forKey: .gitTag)
    }
  }
}

/// A page of list_history.
public struct HistoryListing: Encodable, Sendable {
  public var workspace: String
  public var records: [HistoryRecordView]
  public var total: Int
  public var hasMore: Bool
  public var limit: Int
  public var offset: Int

  enum CodingKeys: String, CodingKey {
    case workspace, records, total, hasMore = "has_more", limit, offset
  }
}


extension RecordBook {
  /// A record with what `include` asks for (results, comparison, tags).
  public func inspect(
    _ ref: String, include: [String]? = nil, workspace: String? = nil
  ) throws(GoldfishError)
    -> RecordDetail
  {
    let parts = try RecordDetail.parts(include)
    let record = try RecordRef.resolve(ref, workspace: workspace, in: store)
    let matches = try record.stageRunID.map { (id) throws(GoldfishError) in try store.patternMatches(ofStageRun: id) }
    return try store.read { db in
      var results: RunResultsView?
      if let runID = record.stageRunID, let row = try RunResultsRecord.fetchOne(db, key: runID) {
        let spec = try String.fetchOne(
          db, sql: "SELECT spec FROM run_results_spec WHERE stage_run_id = ?", arguments: [runID])
        results = RunResultsView(row: row, spec: spec)
      }
      let tags = try Self.tags(db, of: [record])[record.id] ?? []
      var detail = RecordDetail(record: record, parts: parts, results: results, tags: tags)
      detail.patternMatches = matches ?? []
      return detail
    }
  }

  /// Runs of a workspace that ended and wait for their result, oldest first.
  public func unfinalized(workspace: String, limit: Int = 100) throws(GoldfishError) -> [UnfinalizedRun] {
    try requireWorkspace(workspace)
    let results = try store.unfinalizedRuns(workspace: workspace, limit: limit)
    return try results.map { (row) throws(GoldfishError) -> UnfinalizedRun in
      let run = try store.stageRun(row.stageRunID)
      return UnfinalizedRun(results: row, state: run?.state, createdAt: run?.createdAt)
    }
  }

  /// Validates a results spec (§9.2) and stores it as the run's. `recordID`, when given, must
  /// be the run's record (upstream passes both).
  public func saveResultsSpec(
    stageRunID: String, recordID: String?, spec: JSONValue
  ) throws(GoldfishError)
    -> ExperimentRecord
  {
    let valid = try ResultsSpec(spec, minimumTextLength: minimumText)
    guard let record = try store.record(ofStageRun: stageRunID) else {
      throw GoldfishError(
        .notFound, "no run \(RunIdentifiers.display(stageRunID))", hint: "list_history shows a workspace's runs")
    }
    if let recordID, !recordID.isEmpty, recordID.uppercased() != record.id {
      throw GoldfishError(
        .invalidArgument, "record \(RunIdentifiers.display(recordID)) is not the record of run \(stageRunID)",
        hint: "its record is \(record.id); give that, or leave record_id out")
    }
    try store.saveResultsSpec(stageRunID: stageRunID, spec: try JSONText.encode(valid.json))
    return record
  }

  /// A page of a workspace's records with upstream's filters.
  public func history(
    _ query: HistoryQuery, internalIDs: Bool = false, now: Date = Date()
  ) throws(GoldfishError)
    -> HistoryListing
  {
    try requireWorkspace(query.workspace)
    if let tagged = query.tagged, case .named(let tag) = tagged { _ = try TagName.validate(tag) }
    let page = try store.history(query)
    let records = page.entries.map { HistoryRecordView(entry: $0, now: now, internalIDs: internalIDs) }
    return HistoryListing(
      workspace: query.workspace, records: records, total: page.total,
      hasMore: query.offset + records.count < page.total, limit: query.limit, offset: query.offset)
  }

  func requireWorkspace(_ workspace: String) throws(GoldfishError) {
    guard try store.workspace(workspace) != nil else {
      throw GoldfishError(
        .notFound, "no workspace \(RunIdentifiers.display(workspace))", hint: "list_workspaces shows them")
    }
  }
}
