import Foundation
import GRDB

/// Experiment records (issue #13): every stage run and every version saved without a run is a
/// record with a ULID, a run's results move missing → auto → finalized, tags are unique per
/// workspace across runs and versions, versions can be pruned, metrics are kept as series with
/// a per-name summary and the byte offset ingestion reached.
enum RecordsMigration {
  static func v7(_ db: Database) throws {
    try db.execute(
      sql: """
        DROP TABLE experiment_records;
        CREATE TABLE experiment_records (
          id TEXT PRIMARY KEY,
          workspace TEXT NOT NULL,
          kind TEXT NOT NULL CHECK (kind IN ('run', 'checkpoint')),
          stage_run_id TEXT UNIQUE REFERENCES stage_runs(id),
          stage TEXT,
          version INTEGER,
          experiment_group TEXT,
          created_at TEXT NOT NULL
        );
        CREATE INDEX records_by_workspace ON experiment_records(workspace, id);
        CREATE UNIQUE INDEX records_by_checkpoint ON experiment_records(workspace, version) WHERE kind = 'checkpoint';
        CREATE TABLE run_results (
          stage_run_id TEXT PRIMARY KEY REFERENCES stage_runs(id),
          record_id TEXT NOT NULL UNIQUE REFERENCES experiment_records(id),
          workspace TEXT NOT NULL,
          stage TEXT NOT NULL,
          results_status TEXT NOT NULL DEFAULT 'missing' CHECK (results_status IN ('missing', 'auto', 'finalized')),
          infra_outcome TEXT CHECK (infra_outcome IN ('completed', 'preempted', 'crashed', 'canceled', 'unknown')),
          ml_outcome TEXT CHECK (ml_outcome IN ('success', 'partial', 'miss', 'unknown')),
          results_auto TEXT,
          results_final TEXT,
          comparison TEXT,
          primary_metric TEXT,
          primary_value REAL,
          finalized_by TEXT,
          finalized_at TEXT,
          gated INTEGER NOT NULL DEFAULT 1
        );
        CREATE INDEX run_results_pending ON run_results(workspace, results_status, infra_outcome);
        CREATE INDEX run_results_by_metric ON run_results(workspace, primary_metric, primary_value);
        CREATE TABLE run_results_spec (
          stage_run_id TEXT PRIMARY KEY REFERENCES stage_runs(id),
          record_id TEXT NOT NULL REFERENCES experiment_records(id),
          spec TEXT NOT NULL,
          created_at TEXT NOT NULL
        );
        CREATE TABLE record_tags (
          workspace TEXT NOT NULL,
          tag TEXT NOT NULL,
          record_id TEXT REFERENCES experiment_records(id),
          version INTEGER,
          created_at TEXT NOT NULL,
          PRIMARY KEY (workspace, tag)
        );
        CREATE INDEX record_tags_by_record ON record_tags(record_id);
        ALTER TABLE workspace_versions ADD COLUMN pruned_at TEXT;
        ALTER TABLE workspace_versions ADD COLUMN prune_reason TEXT;
        ALTER TABLE pipeline_runs ADD COLUMN experiment_group TEXT;
        ALTER TABLE pipeline_runs ADD COLUMN results_spec TEXT;
        ALTER TABLE pipeline_runs ADD COLUMN inputs_override TEXT;
        ALTER TABLE stage_runs ADD COLUMN metrics_offset INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE stage_runs ADD COLUMN metrics_updated_at TEXT;
        CREATE INDEX run_metrics_series ON run_metrics(stage_run_id, name, id);
        CREATE TABLE run_metrics_summary (
          stage_run_id TEXT NOT NULL REFERENCES stage_runs(id),
          name TEXT NOT NULL,
          count INTEGER NOT NULL,
          min_value REAL NOT NULL,
          max_value REAL NOT NULL,
          last_value REAL NOT NULL,
          last_step INTEGER,
          last_timestamp TEXT NOT NULL,
          PRIMARY KEY (stage_run_id, name)
        ) WITHOUT ROWID;
        INSERT INTO run_metrics_summary (stage_run_id, name, count, min_value, max_value, last_value, last_step, last_timestamp)
          SELECT m.stage_run_id, m.name, COUNT(*), MIN(m.value), MAX(m.value),
            (SELECT value FROM run_metrics l WHERE l.stage_run_id = m.stage_run_id AND l.name = m.name ORDER BY l.id DESC LIMIT 1),
            (SELECT step FROM run_metrics l WHERE l.stage_run_id = m.stage_run_id AND l.name = m.name ORDER BY l.id DESC LIMIT 1),
            MAX(m.timestamp)
          FROM run_metrics m GROUP BY m.stage_run_id, m.name;
        """)
    try backfill(db)
  }

  /// Runs and checkpoints from before records existed become records. Their runs do not hold
  /// the finalization gate (nobody could finalize them then); they can still be finalized.
  private static func backfill(_ db: Database) throws {
    let runs = try Row.fetchAll(
      db,
      sql:
        "SELECT id, workspace, stage, version, state, termination_cause, created_at FROM stage_runs ORDER BY created_at, id"
    )
    var runIDs = ULID.Backfill()
    for run in runs {
      let created: String = run["created_at"]
      let record = runIDs.make(at: Timestamp.parse(created) ?? Date())
      let state = StageRunState(rawValue: run["state"]) ?? .unknown
      try db.execute(
        sql: """
          INSERT INTO experiment_records (id, workspace, kind, stage_run_id, stage, version, created_at)
          VALUES (?, ?, 'run', ?, ?, ?, ?)
          """,
        arguments: [record, run["workspace"], run["id"], run["stage"], run["version"], created])
      try db.execute(
        sql: """
          INSERT INTO run_results (stage_run_id, record_id, workspace, stage, infra_outcome, gated)
          VALUES (?, ?, ?, ?, ?, 0)
          """,
        arguments: [
          run["id"], record, run["workspace"], run["stage"],
          InfraOutcome(state: state, terminationCause: run["termination_cause"])?.rawValue,
        ])
    }
    let checkpoints = try Row.fetchAll(
      db,
      sql: "SELECT workspace, version, created_at FROM workspace_versions WHERE created_by <> 'run' ORDER BY created_at"
    )
    var checkpointIDs = ULID.Backfill()
    for checkpoint in checkpoints {
      let created: String = checkpoint["created_at"]
      try db.execute(
        sql:
          "INSERT INTO experiment_records (id, workspace, kind, version, created_at) VALUES (?, ?, 'checkpoint', ?, ?)",
        arguments: [
          checkpointIDs.make(at: Timestamp.parse(created) ?? Date()), checkpoint["workspace"], checkpoint["version"],
          created,
        ])
    }
  }
}
