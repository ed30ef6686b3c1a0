import GRDB

public struct PipelineRunRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
  public static let databaseTableName = "pipeline_runs"

  public var id: String
  public var workspace: String
  public var pipeline: String
  public var version: Int?
  public var status: String
  public var reason: String
  public var createdAt: String
  public var finishedAt: String?
  public var error: String?
  /// JSON array of the stage names this run covers.
  public var stages: String?
  public var configOverride: String?
  public var codeDir: String?
  /// Run every stage even when an unchanged earlier run could be reused.
  public var rerun: Bool

  enum CodingKeys: String, CodingKey, ColumnExpression {
    case id, workspace, pipeline, version, status, reason
    case createdAt = "created_at"
    case finishedAt = "finished_at"
    case error, stages
    case configOverride = "config_override"
    case codeDir = "code_dir"
    case rerun
  }
}

extension ProjectStore {
  public func insertPipelineRun(_ record: PipelineRunRecord, stageRuns: [StageRunRecord]) throws(GoldfishError) {
    try write { db in
      try record.insert(db)
      for run in stageRuns {
        try run.insert(db)
        try db.execute(
          sql: """
            INSERT INTO stage_state_transitions (stage_run_id, from_state, to_state, event, reason, source, created_at)
            VALUES (?, 'none', ?, 'created', ?, 'executor', ?)
            """,
          arguments: [run.id, run.state.rawValue, run.reason, run.createdAt])
      }
    }
  }

  public func pipelineRun(_ id: String) throws(GoldfishError) -> PipelineRunRecord? {
    try read { db in try PipelineRunRecord.fetchOne(db, key: id) }
  }

  public func activePipelineRuns() throws(GoldfishError) -> [PipelineRunRecord] {
    try read { db in try PipelineRunRecord.filter(PipelineRunRecord.CodingKeys.status == "running").fetchAll(db) }
  }

  public func stageRuns(ofPipelineRun id: String) throws(GoldfishError) -> [StageRunRecord] {
    try read { db in
      try StageRunRecord.filter(StageRunRecord.CodingKeys.pipelineRunID == id).order(
        StageRunRecord.CodingKeys.createdAt
      ).fetchAll(db)
    }
  }

  public func finishPipelineRun(_ id: String, status: String, error: String?) throws(GoldfishError) {
    try write { db in
      try db.execute(
        sql: "UPDATE pipeline_runs SET status = ?, finished_at = ?, error = ? WHERE id = ? AND status = 'running'",
        arguments: [status, Timestamp.now(), error, id])
    }
  }

  /// The latest completed run of a stage in a workspace: where upstream signals come from.
  public func latestCompletedRun(workspace: String, stage: String) throws(GoldfishError) -> StageRunRecord? {
    try read { db in
      try StageRunRecord.filter(
        StageRunRecord.CodingKeys.workspace == workspace && StageRunRecord.CodingKeys.stage == stage
          && StageRunRecord.CodingKeys.state == StageRunState.completed.rawValue
      ).order(StageRunRecord.CodingKeys.finishedAt.desc).fetchOne(db)
    }
  }

  /// A completed run of the same stage with the same fingerprint, whose outputs can be reused.
  public func reusableRun(
    workspace: String, stage: String, fingerprint: String
  ) throws(GoldfishError) -> StageRunRecord? {
    try read { db in
      try StageRunRecord.filter(
        StageRunRecord.CodingKeys.workspace == workspace && StageRunRecord.CodingKeys.stage == stage
          && StageRunRecord.CodingKeys.fingerprint == fingerprint
          && StageRunRecord.CodingKeys.state == StageRunState.completed.rawValue
      ).order(StageRunRecord.CodingKeys.finishedAt.desc).fetchOne(db)
    }
  }
}
