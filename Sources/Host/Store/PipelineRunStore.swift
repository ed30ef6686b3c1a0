import Foundation
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
  /// The pipeline file `run` validated, relative to the code folder (`pipeline.yaml`,
  /// `pipelines/<name>.yaml`): the driver loads exactly this file. A pipeline's `name:` is a
  /// label and never names a file. Nil only for runs recorded before it was kept.
  public var pipelineFile: String? = nil
  /// How many times a driver was started for this run (by `run` or by a restart after a driver
  /// died); reset whenever a driver makes progress. Bounded: see DriverLauncher.maxStarts.
  public var driverStarts: Int = 0
  /// The error that last stopped a driver of this run, when it could say.
  public var driverError: String? = nil
  /// Groups runs for list_history's filter (upstream's experiment_group).
  public var experimentGroup: String? = nil
  /// JSON: the results spec every stage run of this run was started with.
  public var resultsSpec: String? = nil
  /// JSON: per stage, per input, where that input comes from instead of the pipeline's wiring.
  public var inputsOverride: String? = nil

  enum CodingKeys: String, CodingKey, ColumnExpression {
    case id, workspace, pipeline, version, status, reason
    case createdAt = "created_at"
    case finishedAt = "finished_at"
    case error, stages
    case configOverride = "config_override"
    case codeDir = "code_dir"
    case rerun
    case pipelineFile = "pipeline_file"
    case driverStarts = "driver_starts"
    case driverError = "driver_error"
    case experimentGroup = "experiment_group"
    case resultsSpec = "results_spec"
    case inputsOverride = "inputs_override"
  }
}

extension ProjectStore {
  public func insertPipelineRun(
    _ record: PipelineRunRecord, stageRuns: [StageRunRecord], reviews: [SVSReview] = []
  ) throws(GoldfishError) {
    try write { db in
      try record.insert(db)
      for run in stageRuns {
        try run.insert(db)
        try Self.insertRunRecord(db, run, group: record.experimentGroup, spec: record.resultsSpec)
        try db.execute(
          sql: """
            INSERT INTO stage_state_transitions (stage_run_id, from_state, to_state, event, reason, source, created_at)
            VALUES (?, 'none', ?, 'created', ?, 'executor', ?)
            """,
          arguments: [run.id, run.state.rawValue, run.reason, run.createdAt])
      }
      // The checks before launch (PreflightRunGate) land with the runs they checked.
      for review in reviews { try Self.insertReview(db, review) }
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

  /// Counts one more driver start of a pipeline run and returns the new count; nil (nothing
  /// counted) when another start was claimed less than `minimumGap` seconds ago, so two
  /// processes that both find the run's driver dead start only one.
  public func claimDriverStart(_ id: String, minimumGap: TimeInterval = 0) throws(GoldfishError) -> Int? {
    try write { db in
      let earliest = Timestamp.format(Date().addingTimeInterval(-minimumGap))
      try db.execute(
        sql: """
          UPDATE pipeline_runs SET driver_starts = driver_starts + 1, driver_started_at = ?
          WHERE id = ? AND (? = 0 OR driver_started_at IS NULL OR driver_started_at < ?)
          """,
        arguments: [Timestamp.now(), id, minimumGap == 0 ? 0 : 1, earliest])
      guard db.changesCount == 1 else { return nil }
      return try Int.fetchOne(db, sql: "SELECT driver_starts FROM pipeline_runs WHERE id = ?", arguments: [id])
    }
  }

  /// A started driver found the run already driven: its start does not count.
  public func unclaimDriverStart(_ id: String) throws(GoldfishError) {
    try write { db in
      try db.execute(
        sql: "UPDATE pipeline_runs SET driver_starts = driver_starts - 1 WHERE id = ? AND driver_starts > 0",
        arguments: [id])
    }
  }

  /// A driver made progress: the restarts it took so far were not a loop.
  public func resetDriverStarts(_ id: String) throws(GoldfishError) {
    try write { db in
      try db.execute(
        sql: "UPDATE pipeline_runs SET driver_starts = 1, driver_error = NULL WHERE id = ? AND driver_starts > 1",
        arguments: [id])
    }
  }

  /// What stopped a driver of this run, for the next one (or the one that gives up) to report.
  public func recordDriverError(_ id: String, _ message: String) throws(GoldfishError) {
    try write { db in
      try db.execute(
        sql: "UPDATE pipeline_runs SET driver_error = ? WHERE id = ?", arguments: [String(message.prefix(4000)), id])
    }
  }

  /// The states of a run whose outputs stand: finalized or awaiting finalization.
  private static var succeededStates: [String] {
    StageRunState.allCases.filter(\.succeeded).map(\.rawValue)
  }

  /// The latest successful run (finalized or awaiting finalization) of a stage in a workspace:
  /// where upstream signals come from.
  public func latestCompletedRun(workspace: String, stage: String) throws(GoldfishError) -> StageRunRecord? {
    try read { db in
      try StageRunRecord.filter(
        StageRunRecord.CodingKeys.workspace == workspace && StageRunRecord.CodingKeys.stage == stage
          && Self.succeededStates.contains(StageRunRecord.CodingKeys.state)
      ).order(StageRunRecord.CodingKeys.finishedAt.desc).fetchOne(db)
    }
  }

  /// A successful run of the same stage with the same fingerprint, whose outputs can be reused.
  public func reusableRun(
    workspace: String, stage: String, fingerprint: String
  ) throws(GoldfishError) -> StageRunRecord? {
    try read { db in
      try StageRunRecord.filter(
        StageRunRecord.CodingKeys.workspace == workspace && StageRunRecord.CodingKeys.stage == stage
          && StageRunRecord.CodingKeys.fingerprint == fingerprint
          && Self.succeededStates.contains(StageRunRecord.CodingKeys.state)
      ).order(StageRunRecord.CodingKeys.finishedAt.desc).fetchOne(db)
    }
  }
}
