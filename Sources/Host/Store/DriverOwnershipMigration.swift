import GRDB

/// What a driver needs so that a run never hangs: the pipeline file `run` validated (a pipeline's
/// `name:` is only a label), and how often a driver was started for the run with the error that
/// stopped the last one, so restarts are bounded.
enum DriverOwnershipMigration {
  static func v6(_ db: Database) throws {
    try db.execute(
      sql: """
        ALTER TABLE pipeline_runs ADD COLUMN pipeline_file TEXT;
        ALTER TABLE pipeline_runs ADD COLUMN driver_starts INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE pipeline_runs ADD COLUMN driver_error TEXT;
        ALTER TABLE pipeline_runs ADD COLUMN driver_started_at TEXT;
        """)
  }
}
