import GRDB

/// v11-backups: a backup attempt that failed is a row too (status `failed` and its error), so
/// `get_backup_status` can say that the last automatic backup did not happen and why.
enum BackupOutcomeMigration {
  static func v11(_ db: Database) throws {
    try db.execute(
      sql: """
        ALTER TABLE backups ADD COLUMN status TEXT NOT NULL DEFAULT 'completed'
          CHECK (status IN ('completed', 'failed'));
        ALTER TABLE backups ADD COLUMN error TEXT;
        """)
  }
}
