import GRDB
import PluginKit

/// One execution of one stage of one workspace version.
public struct StageRunRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
  public static let databaseTableName = "stage_runs"

  public var id: String
  public var pipelineRunID: String?
  public var workspace: String
  public var version: Int
  public var pipeline: String
  public var stage: String
  public var state: StageRunState
  public var phase: String?
  public var terminationCause: String?
  public var stateEnteredAt: String
  public var createdAt: String
  public var finishedAt: String?
  public var reason: String
  public var config: String?
  public var inputs: String?
  public var outputs: String?
  public var backend: String?
  public var backendHandle: String?
  public var profile: String?
  public var exitCode: Int?
  public var error: String?
  public var workDir: String?
  public var fingerprint: String?
  public var reusedFrom: String?
  /// Why this run had no sandbox (the backend said so when it launched it); nil when it had one.
  public var unsandboxed: String?

  enum CodingKeys: String, CodingKey, ColumnExpression {
    case id
    case pipelineRunID = "pipeline_run_id"
    case workspace, version, pipeline, stage, state, phase
    case terminationCause = "termination_cause"
    case stateEnteredAt = "state_entered_at"
    case createdAt = "created_at"
    case finishedAt = "finished_at"
    case reason, config, inputs, outputs, backend
    case backendHandle = "backend_handle"
    case profile
    case exitCode = "exit_code"
    case error
    case workDir = "work_dir"
    case fingerprint
    case reusedFrom = "reused_from"
    case unsandboxed
  }

  public init(
    id: String, workspace: String, version: Int, pipeline: String, stage: String, reason: String,
    pipelineRunID: String? = nil, now: String = Timestamp.now()
  ) {
    self.id = id
    self.pipelineRunID = pipelineRunID
    self.workspace = workspace
    self.version = version
    self.pipeline = pipeline
    self.stage = stage
    self.state = .preparing
    self.stateEnteredAt = now
    self.createdAt = now
    self.reason = reason
  }
}

public struct StageRunTransitionRecord: Codable, Sendable, Equatable, FetchableRecord {
  public var fromState: String
  public var toState: String
  public var event: String
  public var reason: String?
  public var source: String
  public var exitCode: Int?
  public var createdAt: String

  enum CodingKeys: String, CodingKey {
    case fromState = "from_state"
    case toState = "to_state"
    case event, reason, source
    case exitCode = "exit_code"
    case createdAt = "created_at"
  }
}
