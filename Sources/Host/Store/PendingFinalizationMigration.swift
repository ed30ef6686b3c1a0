import GRDB

/// v12-pending-counts: how many runs of each workspace wait for finalization, kept by triggers in
/// the same transaction as every change to run_results (and to a run's `reused_from`), so
/// `status` reads one row per workspace instead of counting waiting runs one by one (they are
/// every finished run of a workspace whose results were never finalized: 100,000 in a project
/// that never finalizes). The oldest waiting run, `status`'s example, is the first entry of a
/// partial index over waiting rows only.
///
/// "Waiting" is RecordStore.unfinalizedRuns' rule: results missing or auto, gated, the run ended
/// completed, preempted or crashed (InfraOutcome.gating, spelled out: a migration never changes),
/// and not reused from an earlier run.
enum PendingFinalizationMigration {
  /// The rule on run_results' own columns (`prefix`: "" or an alias and a dot).
  static func waitingResults(_ prefix: String = "") -> String {
    "\(prefix)results_status IN ('missing', 'auto') AND \(prefix)gated = 1 "
      + "AND \(prefix)infra_outcome IN ('completed', 'preempted', 'crashed')"
  }

  /// The rule for the run_results row `row` (OLD, NEW or an alias) inside a trigger or a query.
  static func waiting(_ row: String) -> String {
    waitingResults(row + ".") + " AND (SELECT reused_from FROM stage_runs WHERE id = \(row).stage_run_id) IS NULL"
  }

  /// Adds `delta` to the count of `workspace` (an SQL expression), creating its row if needed.
  static func add(_ delta: String, workspace: String) -> String {
    """
    INSERT INTO pending_finalization_counts (workspace, runs) VALUES (\(workspace), \(delta))
      ON CONFLICT (workspace) DO UPDATE SET runs = runs + excluded.runs;
    """
  }

  static func v12(_ db: Database) throws {
    let columns = "results_status, gated, infra_outcome, workspace, stage_run_id"
    try db.execute(
      sql: """
        CREATE TABLE pending_finalization_counts (
          workspace TEXT PRIMARY KEY,
          runs INTEGER NOT NULL
        ) WITHOUT ROWID;
        INSERT INTO pending_finalization_counts (workspace, runs)
          SELECT r.workspace, COUNT(*) FROM run_results r WHERE \(waiting("r")) GROUP BY r.workspace;
        CREATE INDEX run_results_waiting ON run_results(workspace, record_id) WHERE \(waitingResults());
        CREATE TRIGGER pending_counts_insert AFTER INSERT ON run_results WHEN \(waiting("NEW")) BEGIN
          \(add("1", workspace: "NEW.workspace"))
        END;
        CREATE TRIGGER pending_counts_delete AFTER DELETE ON run_results WHEN \(waiting("OLD")) BEGIN
          \(add("-1", workspace: "OLD.workspace"))
        END;
        CREATE TRIGGER pending_counts_leave AFTER UPDATE OF \(columns) ON run_results WHEN \(waiting("OLD")) BEGIN
          \(add("-1", workspace: "OLD.workspace"))
        END;
        CREATE TRIGGER pending_counts_enter AFTER UPDATE OF \(columns) ON run_results WHEN \(waiting("NEW")) BEGIN
          \(add("1", workspace: "NEW.workspace"))
        END;
        CREATE TRIGGER pending_counts_reuse AFTER UPDATE OF reused_from ON stage_runs
          WHEN (OLD.reused_from IS NULL) <> (NEW.reused_from IS NULL) BEGIN
          INSERT INTO pending_finalization_counts (workspace, runs)
            SELECT r.workspace, CASE WHEN NEW.reused_from IS NULL THEN 1 ELSE -1 END FROM run_results r
            WHERE r.stage_run_id = NEW.id AND \(waitingResults("r."))
            ON CONFLICT (workspace) DO UPDATE SET runs = runs + excluded.runs;
        END;
        """)
  }
}
