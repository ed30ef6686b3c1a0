import Foundation
import GRDB
import PluginKit

/// Records are written inside the transaction that creates their run or version, so a run or a
/// checkpoint never exists without its record.
extension ProjectStore {
  static func insertRunRecord(_ db: Database, _ run: StageRunRecord, group: String?, spec: String?) throws {
    let record = ExperimentRecord(
      id: ULID.make(), workspace: run.workspace, kind: .run, stageRunID: run.id, stage: run.stage,
      version: run.version, experimentGroup: group, createdAt: run.createdAt)
    try record.insert(db)
    try RunResultsRecord(
      stageRunID: run.id, recordID: record.id, workspace: run.workspace, stage: run.stage, resultsStatus: .missing,
      gated: true
    ).insert(db)
    if let spec {
      try db.execute(
        sql: "INSERT INTO run_results_spec (stage_run_id, record_id, spec, created_at) VALUES (?, ?, ?, ?)",
        arguments: [run.id, record.id, spec, run.createdAt])
    }
  }

  static func insertCheckpointRecord(_ db: Database, _ version: VersionRecord) throws {
    try ExperimentRecord(
      id: ULID.make(), workspace: version.workspace, kind: .checkpoint, stageRunID: nil, stage: nil,
      version: version.version, experimentGroup: nil, createdAt: version.createdAt
    ).insert(db)
  }

  public func record(_ id: String) throws(GoldfishError) -> ExperimentRecord? {
    try read { db in try ExperimentRecord.fetchOne(db, key: id) }
  }

  public func record(ofStageRun id: String) throws(GoldfishError) -> ExperimentRecord? {
    try read { db in try ExperimentRecord.filter(ExperimentRecord.CodingKeys.stageRunID == id).fetchOne(db) }
  }

  public func record(ofVersion version: Int, workspace: String) throws(GoldfishError) -> ExperimentRecord? {
    try read { db in
      try ExperimentRecord.filter(
        ExperimentRecord.CodingKeys.workspace == workspace && ExperimentRecord.CodingKeys.version == version
          && ExperimentRecord.CodingKeys.kind == ExperimentRecord.Kind.checkpoint.rawValue
      ).fetchOne(db)
    }
  }

  public func runResults(_ stageRunID: String) throws(GoldfishError) -> RunResultsRecord? {
    try read { db in try RunResultsRecord.fetchOne(db, key: stageRunID) }
  }

  /// Runs of a workspace that ended (completed, preempted or crashed) and were not finalized,
  /// oldest first: what the finalization gate lists. Canceled runs, runs reused from an
  /// earlier one and runs from before records existed do not count.
  public func unfinalizedRuns(workspace: String, limit: Int = 1000) throws(GoldfishError) -> [RunResultsRecord] {
    // Along the partial index of waiting rows (v12), oldest first: it stops after `limit` rows
    // instead of sorting every unfinalized run of the workspace.
    try read { db in
      try RunResultsRecord.fetchAll(
        db,
        sql: """
          SELECT r.* FROM run_results r INDEXED BY run_results_waiting JOIN stage_runs s ON s.id = r.stage_run_id
          WHERE r.workspace = ? AND \(PendingFinalizationMigration.waitingResults("r.")) AND s.reused_from IS NULL
          ORDER BY r.record_id LIMIT ?
          """,
        arguments: [workspace, limit])
    }
  }

  /// The results spec a run was started with (JSON), if any.
  public func resultsSpec(ofStageRun id: String) throws(GoldfishError) -> String? {
    try read { db in
      try String.fetchOne(db, sql: "SELECT spec FROM run_results_spec WHERE stage_run_id = ?", arguments: [id])
    }
  }

  /// Stores (or replaces) the results spec of a run.
  public func saveResultsSpec(stageRunID: String, spec: String) throws(GoldfishError) {
    try write { db in
      guard let record = try ExperimentRecord.filter(ExperimentRecord.CodingKeys.stageRunID == stageRunID).fetchOne(db)
      else {
        throw GoldfishError(.notFound, "no run \(stageRunID)", hint: "list_history shows a workspace's runs")
      }
      try db.execute(
        sql: """
          INSERT INTO run_results_spec (stage_run_id, record_id, spec, created_at) VALUES (?, ?, ?, ?)
          ON CONFLICT (stage_run_id) DO UPDATE SET spec = excluded.spec, created_at = excluded.created_at
          """,
        arguments: [stageRunID, record.id, spec, Timestamp.now()])
    }
  }

  /// Sets a run's infra outcome when it ends (the executor calls this with every ending).
  public func setInfraOutcome(_ stageRunID: String, _ outcome: InfraOutcome) throws(GoldfishError) {
    try write { db in
      try db.execute(
        sql: "UPDATE run_results SET infra_outcome = ? WHERE stage_run_id = ?",
        arguments: [outcome.rawValue, stageRunID])
    }
  }

  /// The newest tag of a workspace named `best` or `best-…`, as upstream picks "the best".
  public func bestTag(workspace: String) throws(GoldfishError) -> RecordTag? {
    try read { db in
      try RecordTag.fetchOne(
        db,
        sql: """
          SELECT * FROM record_tags WHERE workspace = ? AND (tag = 'best' OR tag LIKE 'best-%')
          ORDER BY created_at DESC, rowid DESC LIMIT 1
          """,
        arguments: [workspace])
    }
  }
}
