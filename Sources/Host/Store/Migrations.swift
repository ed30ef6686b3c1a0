import GRDB

/// Versioned schema changes. A released migration is never edited: changes go in a new one,
/// so an older database is upgraded in place when any goldfish process opens it.
enum Migrations {
  static let migrator: DatabaseMigrator = {
    var migrator = DatabaseMigrator()
    migrator.registerMigration("v1-workspaces", migrate: v1)
    migrator.registerMigration("v2-runs", migrate: v2)
    migrator.registerMigration("v3-execution", migrate: v3)
    migrator.registerMigration("v4-warm-pool", migrate: WarmPoolMigration.v4)
    migrator.registerMigration("v5-run-history-index", migrate: v5RunHistoryIndex)
    migrator.registerMigration("unsandboxed-runs", migrate: unsandboxedRuns)
    migrator.registerMigration("v6-driver-ownership", migrate: DriverOwnershipMigration.v6)
    migrator.registerMigration("v7-records", migrate: RecordsMigration.v7)
    migrator.registerMigration("v8-records-history", migrate: RecordsHistoryMigration.v8)
    migrator.registerMigration("v9-run-thoughts", migrate: ThoughtRunMigration.v8)
    migrator.registerMigration("v10-research-memory", migrate: ResearchMemoryMigration.v10)
    migrator.registerMigration("v11-backups", migrate: BackupOutcomeMigration.v11)
    migrator.registerMigration("v12-pending-counts", migrate: PendingFinalizationMigration.v12)
    migrator.registerMigration("v13-metric-rollups", migrate: MetricRollups.v13)
    migrator.registerMigration("v14-run-state-time", migrate: v14RunStateTime)
    return migrator
  }()

  static var identifiers: [String] { migrator.migrations }

  /// Workspaces, versions, slots, sources, the audit log and thoughts.
  static func v1(_ db: Database) throws {
    try db.execute(
      sql: """
        CREATE TABLE workspaces (
          name TEXT PRIMARY KEY,
          goal TEXT NOT NULL,
          branch TEXT NOT NULL,
          parent_workspace TEXT,
          parent_version INTEGER,
          created_at TEXT NOT NULL,
          status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'deleted')),
          deleted_at TEXT,
          delete_reason TEXT
        );
        CREATE TABLE workspace_versions (
          workspace TEXT NOT NULL REFERENCES workspaces(name),
          version INTEGER NOT NULL CHECK (version >= 1),
          tag TEXT NOT NULL,
          sha TEXT NOT NULL,
          created_at TEXT NOT NULL,
          created_by TEXT NOT NULL,
          message TEXT NOT NULL DEFAULT '',
          run_id TEXT,
          PRIMARY KEY (workspace, version)
        );
        CREATE TABLE workspace_mounts (
          slot TEXT PRIMARY KEY,
          workspace TEXT NOT NULL UNIQUE REFERENCES workspaces(name),
          mounted_sha TEXT NOT NULL,
          mounted_at TEXT NOT NULL
        );
        CREATE TABLE sources (
          name TEXT PRIMARY KEY,
          uri TEXT NOT NULL,
          description TEXT NOT NULL,
          created_at TEXT NOT NULL,
          created_by TEXT NOT NULL,
          size_bytes INTEGER,
          metadata TEXT,
          status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'deleted')),
          deleted_at TEXT,
          delete_reason TEXT
        );
        CREATE TABLE audit (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          timestamp TEXT NOT NULL,
          operation TEXT NOT NULL,
          slot TEXT,
          workspace TEXT,
          reason TEXT NOT NULL,
          details TEXT
        );
        CREATE INDEX audit_by_time ON audit(timestamp);
        CREATE TABLE thoughts (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          timestamp TEXT NOT NULL,
          workspace TEXT,
          text TEXT NOT NULL
        );
        """)
  }

  /// Stage runs with their state machine, pipeline runs, lineage, metrics and records.
  static func v2(_ db: Database) throws {
    let states = StageRunState.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
    try db.execute(
      sql: """
        CREATE TABLE pipeline_runs (
          id TEXT PRIMARY KEY,
          workspace TEXT NOT NULL,
          pipeline TEXT NOT NULL,
          version INTEGER,
          status TEXT NOT NULL,
          reason TEXT NOT NULL,
          created_at TEXT NOT NULL,
          finished_at TEXT,
          error TEXT
        );
        CREATE TABLE stage_runs (
          id TEXT PRIMARY KEY,
          pipeline_run_id TEXT REFERENCES pipeline_runs(id),
          workspace TEXT NOT NULL,
          version INTEGER NOT NULL,
          pipeline TEXT NOT NULL,
          stage TEXT NOT NULL,
          state TEXT NOT NULL CHECK (state IN (\(states))),
          phase TEXT,
          termination_cause TEXT,
          state_entered_at TEXT NOT NULL,
          created_at TEXT NOT NULL,
          finished_at TEXT,
          reason TEXT NOT NULL,
          config TEXT,
          inputs TEXT,
          outputs TEXT,
          backend TEXT,
          backend_handle TEXT,
          profile TEXT,
          exit_code INTEGER,
          error TEXT
        );
        CREATE INDEX stage_runs_by_workspace ON stage_runs(workspace, created_at);
        CREATE INDEX stage_runs_by_state ON stage_runs(state);
        CREATE TABLE stage_state_transitions (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          stage_run_id TEXT NOT NULL REFERENCES stage_runs(id),
          from_state TEXT NOT NULL,
          to_state TEXT NOT NULL,
          event TEXT NOT NULL,
          reason TEXT,
          source TEXT NOT NULL,
          exit_code INTEGER,
          created_at TEXT NOT NULL
        );
        CREATE INDEX transitions_by_run ON stage_state_transitions(stage_run_id);
        CREATE TABLE signal_lineage (
          stage_run_id TEXT NOT NULL REFERENCES stage_runs(id),
          signal TEXT NOT NULL,
          direction TEXT NOT NULL CHECK (direction IN ('input', 'output')),
          signal_type TEXT NOT NULL,
          uri TEXT,
          size_bytes INTEGER,
          hash TEXT,
          source_stage_run_id TEXT,
          source_name TEXT,
          PRIMARY KEY (stage_run_id, direction, signal)
        );
        CREATE INDEX lineage_by_source_run ON signal_lineage(source_stage_run_id);
        CREATE TABLE run_metrics (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          stage_run_id TEXT NOT NULL REFERENCES stage_runs(id),
          name TEXT NOT NULL,
          value REAL NOT NULL,
          step INTEGER,
          timestamp TEXT NOT NULL
        );
        CREATE UNIQUE INDEX run_metrics_unique
          ON run_metrics(stage_run_id, name, coalesce(step, -1), timestamp);
        CREATE TABLE experiment_records (
          id TEXT PRIMARY KEY,
          workspace TEXT NOT NULL,
          kind TEXT NOT NULL CHECK (kind IN ('run', 'checkpoint')),
          stage_run_id TEXT,
          version INTEGER,
          created_at TEXT NOT NULL,
          payload TEXT
        );
        CREATE TABLE leases (
          name TEXT PRIMARY KEY,
          holder TEXT NOT NULL,
          expires_at TEXT NOT NULL
        );
        """)
  }

  /// What the executor needs to re-attach after a restart and to reuse unchanged stages.
  static func v3(_ db: Database) throws {
    try db.execute(
      sql: """
        ALTER TABLE stage_runs ADD COLUMN work_dir TEXT;
        ALTER TABLE stage_runs ADD COLUMN fingerprint TEXT;
        ALTER TABLE stage_runs ADD COLUMN reused_from TEXT;
        ALTER TABLE pipeline_runs ADD COLUMN stages TEXT;
        ALTER TABLE pipeline_runs ADD COLUMN config_override TEXT;
        ALTER TABLE pipeline_runs ADD COLUMN code_dir TEXT;
        ALTER TABLE pipeline_runs ADD COLUMN rerun INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX stage_runs_by_pipeline_run ON stage_runs(pipeline_run_id);
        CREATE INDEX stage_runs_by_fingerprint ON stage_runs(workspace, stage, fingerprint);
        """)
  }

  /// Newest-first reads of all runs (`status`'s recent runs, `list_runs` without a workspace)
  /// sorted every row of stage_runs: 1.6 s at a million runs. Read in (created_at, id) order off
  /// stage_runs_by_time they stop after the page they return. A history page's total counted a
  /// workspace's runs one by one (O(runs)); stage_run_counts keeps that number up to date in
  /// the same transaction as every insert, so the total is a lookup. (Named v5: v4 is the warm
  /// pool's.)
  static func v5RunHistoryIndex(_ db: Database) throws {
    try db.execute(
      sql: """
        CREATE INDEX stage_runs_by_time ON stage_runs(created_at, id);
        CREATE TABLE stage_run_counts (
          workspace TEXT NOT NULL,
          stage TEXT NOT NULL,
          runs INTEGER NOT NULL,
          PRIMARY KEY (workspace, stage)
        ) WITHOUT ROWID;
        INSERT INTO stage_run_counts (workspace, stage, runs)
          SELECT workspace, stage, COUNT(*) FROM stage_runs GROUP BY workspace, stage;
        CREATE TRIGGER stage_run_counts_insert AFTER INSERT ON stage_runs BEGIN
          INSERT INTO stage_run_counts (workspace, stage, runs) VALUES (NEW.workspace, NEW.stage, 1)
            ON CONFLICT (workspace, stage) DO UPDATE SET runs = runs + 1;
        END;
        CREATE TRIGGER stage_run_counts_delete AFTER DELETE ON stage_runs BEGIN
          UPDATE stage_run_counts SET runs = runs - 1 WHERE workspace = OLD.workspace AND stage = OLD.stage;
        END;
        CREATE TRIGGER stage_run_counts_move AFTER UPDATE OF workspace, stage ON stage_runs BEGIN
          UPDATE stage_run_counts SET runs = runs - 1 WHERE workspace = OLD.workspace AND stage = OLD.stage;
          INSERT INTO stage_run_counts (workspace, stage, runs) VALUES (NEW.workspace, NEW.stage, 1)
            ON CONFLICT (workspace, stage) DO UPDATE SET runs = runs + 1;
        END;
        """)
  }

  /// Why a stage run had no sandbox (null: it had one, or its backend isolates by itself).
  static func unsandboxedRuns(_ db: Database) throws {
    try db.execute(sql: "ALTER TABLE stage_runs ADD COLUMN unsandboxed TEXT")
  }
}

extension Migrations {
  /// A state's newest runs (status's recent failures, the active runs) were found through
  /// stage_runs_by_state and then sorted: every failed run, each status. Ordered by
  /// (state, created_at, id), they are read newest first and stop after the page; the new index
  /// begins with the old one's column, so that one goes.
  static func v14RunStateTime(_ db: Database) throws {
    try db.execute(
      sql: """
        CREATE INDEX stage_runs_by_state_time ON stage_runs(state, created_at, id);
        DROP INDEX IF EXISTS stage_runs_by_state;
        """)
  }
}
