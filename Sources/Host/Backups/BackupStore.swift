import Foundation
import GRDB
import PluginKit

/// The `backups` table: every backup taken from this database, failed attempts included.
extension ProjectStore {
  func insertBackup(_ backup: BackupRecord) throws(GoldfishError) {
    try write { db in try Self.insertBackup(db, backup, orIgnore: false) }
  }

  /// Entries of a manifest that this database does not know (a restored database predates the
  /// backups taken after it).
  func importBackups(_ backups: [BackupRecord]) throws(GoldfishError) {
    try write { db in
      for backup in backups {
        try Self.insertBackup(db, backup, orIgnore: true)
        if let deletedAt = backup.deletedAt {
          try db.execute(
            sql: "UPDATE backups SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL",
            arguments: [deletedAt, backup.id])
        }
      }
    }
  }

  private static func insertBackup(_ db: Database, _ backup: BackupRecord, orIgnore: Bool) throws {
    try db.execute(
      sql: """
        INSERT \(orIgnore ? "OR IGNORE " : "")INTO backups (id, tier, trigger, details, status, error, created_at,
          expires_at, database_key, database_sha256, database_bytes, repository_key, repository_sha256,
          repository_bytes, deleted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
      arguments: [
        backup.id, backup.tier.rawValue, backup.trigger, backup.details, backup.status.rawValue, backup.error,
        backup.createdAt, backup.expiresAt, backup.databaseKey, backup.databaseSHA256, backup.databaseBytes,
        backup.repositoryKey, backup.repositorySHA256, backup.repositoryBytes, backup.deletedAt,
      ])
  }

  /// Backups newest first.
  func backups(
    tier: BackupTier? = nil, includeDeleted: Bool = false, includeFailed: Bool = false
  ) throws(GoldfishError) -> [BackupRecord] {
    try read { db in
      var clauses: [String] = []
      var arguments: StatementArguments = []
      if let tier {
        clauses.append("tier = ?")
        arguments += [tier.rawValue]
      }
      if !includeDeleted { clauses.append("deleted_at IS NULL") }
      if !includeFailed { clauses.append("status = 'completed'") }
      let filter = clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND ")
      return try Row.fetchAll(
        db, sql: "SELECT * FROM backups\(filter) ORDER BY created_at DESC, id DESC", arguments: arguments
      ).map(Self.backup)
    }
  }

  func markBackupDeleted(_ id: String, at time: String) throws(GoldfishError) {
    try write { db in
      try db.execute(
        sql: "UPDATE backups SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL", arguments: [time, id])
    }
  }

  /// The newest attempt, failed or not.
  func lastBackupAttempt() throws(GoldfishError) -> BackupRecord? {
    try read { db in
      try Row.fetchOne(db, sql: "SELECT * FROM backups ORDER BY created_at DESC, id DESC LIMIT 1").map(Self.backup)
    }
  }

  private static func backup(_ row: Row) -> BackupRecord {
    BackupRecord(
      id: row["id"], tier: BackupTier(rawValue: row["tier"]) ?? .event, trigger: row["trigger"],
      details: row["details"],
      status: BackupRecord.Status(rawValue: row["status"]) ?? .failed, error: row["error"],
      createdAt: row["created_at"], expiresAt: row["expires_at"], databaseKey: row["database_key"],
      databaseSHA256: row["database_sha256"], databaseBytes: row["database_bytes"],
      repositoryKey: row["repository_key"],
      repositorySHA256: row["repository_sha256"], repositoryBytes: row["repository_bytes"], deletedAt: row["deleted_at"]
    )
  }

  /// A consistent copy of the live database at `path`, through SQLite's online backup: it reads
  /// one snapshot while other connections keep writing (a file copy of a WAL database is not).
  func snapshot(to path: String) throws(GoldfishError) {
    do {
      let copy = try DatabaseQueue(path: path)
      try pool.backup(to: copy)
      try copy.close()
    } catch {
      throw StoreError.translate(error, while: "copying the project database for a backup")
    }
  }
}
