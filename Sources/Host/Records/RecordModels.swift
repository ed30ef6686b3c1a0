import GRDB
import PluginKit

/// How a run ended as infrastructure sees it, whatever its ML result (upstream's enum).
public enum InfraOutcome: String, Codable, Sendable, CaseIterable {
  case completed, preempted, crashed, canceled, unknown

  /// The outcome a run's state says, or nil while it still runs.
  public init?(state: StageRunState, terminationCause: String?) {
    switch state {
    case .awaitingUserFinalization, .completed: self = .completed
    case .canceled: self = .canceled
    case .terminated where terminationCause == "preemption": self = .preempted
    case .failed, .terminated: self = .crashed
    case .unknown: self = .unknown
    default: return nil
    }
  }

  /// Runs with these outcomes hold the finalization gate until finalized (canceled ones do not).
  /// The v12-pending-counts triggers and index spell them out: changing them needs a migration.
  public static let gating: [InfraOutcome] = [.completed, .preempted, .crashed]
}

public enum MLOutcome: String, Codable, Sendable, CaseIterable {
  case success, partial, miss, unknown
}

public enum ResultsStatus: String, Codable, Sendable {
  case missing, auto, finalized
}

/// One row of experiment_records: a stage run or a checkpoint (a version saved without a run).
public struct ExperimentRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
  public static let databaseTableName = "experiment_records"
  public enum Kind: String, Codable, Sendable { case run, checkpoint }

  public var id: String
  public var workspace: String
  public var kind: Kind
  public var stageRunID: String?
  public var stage: String?
  public var version: Int?
  public var experimentGroup: String?
  public var createdAt: String

  enum CodingKeys: String, CodingKey, ColumnExpression {
    case id, workspace, kind
    case stageRunID = "stage_run_id"
    case stage, version
    case experimentGroup = "experiment_group"
    case createdAt = "created_at"
  }
}

/// One row of run_results: what a run produced as a result, auto then finalized.
public struct RunResultsRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
  public static let databaseTableName = "run_results"

  public var stageRunID: String
  public var recordID: String
  public var workspace: String
  public var stage: String
  public var resultsStatus: ResultsStatus
  public var infraOutcome: InfraOutcome?
  public var mlOutcome: MLOutcome?
  /// JSON: {primary_metric, value, direction, dataset_split, secondary?}.
  public var resultsAuto: String?
  /// JSON: the finalize results (§9.2).
  public var resultsFinal: String?
  /// JSON: {vs_previous, vs_best, config_diff}.
  public var comparison: String?
  /// The metric and value sorting and "best" use: the final one, else the auto one.
  public var primaryMetric: String?
  public var primaryValue: Double?
  public var finalizedBy: String?
  public var finalizedAt: String?
  /// False for runs from before records existed: they do not hold the gate.
  public var gated: Bool

  enum CodingKeys: String, CodingKey, ColumnExpression {
    case stageRunID = "stage_run_id"
    case recordID = "record_id"
    case workspace, stage
    case resultsStatus = "results_status"
    case infraOutcome = "infra_outcome"
    case mlOutcome = "ml_outcome"
    case resultsAuto = "results_auto"
    case resultsFinal = "results_final"
    case comparison
    case primaryMetric = "primary_metric"
    case primaryValue = "primary_value"
    case finalizedBy = "finalized_by"
    case finalizedAt = "finalized_at"
    case gated
  }
}

/// A tag on a record or a version; unique per workspace across both.
public struct RecordTag: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
  public static let databaseTableName = "record_tags"

  public var workspace: String
  public var tag: String
  public var recordID: String?
  public var version: Int?
  public var createdAt: String

  enum CodingKeys: String, CodingKey, ColumnExpression {
    case workspace, tag
    case recordID = "record_id"
    case version
    case createdAt = "created_at"
  }
}
