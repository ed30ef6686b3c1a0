import GRDB

/// A thought can be about one run (upstream's `log_thought(run_id:)`); `get_workspace_thoughts`
/// returns that run id with it.
enum ThoughtRunMigration {
  static func v8(_ db: Database) throws {
    try db.execute(sql: "ALTER TABLE thoughts ADD COLUMN run_id TEXT")
  }
}
