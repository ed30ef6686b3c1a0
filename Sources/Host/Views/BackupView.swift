import Foundation
import PluginKit

/// `list_backups` / `goldfish backup list --json`: upstream's `{success, backups, counts, total}`,
/// each backup with its storage keys, checksums and sizes.
public struct BackupListView: Encodable, Sendable {
  public var success = true
  public var backups: [BackupRecord]
  public var counts: [String: Int]
  public var total: Int

  public init(_ backups: [BackupRecord]) {
    self.backups = backups
    counts = Dictionary(
      uniqueKeysWithValues: BackupTier.allCases.map { tier in
        (tier.rawValue, backups.filter { $0.tier == tier }.count)
      })
    total = backups.count
  }
}

/// `create_backup` / `goldfish backup create --json`.
public struct BackupCreatedView: Encodable, Sendable {
  public var success = true
  public var created: Bool
  public var backupID: String?
  public var tier: String?
  /// The database object's URI in the storage (upstream's `gcs_path`, for any storage).
  public var uri: String?
  public var sizeBytes: Int64?
  public var skipped: String?
  public var backup: BackupRecord?

  enum CodingKeys: String, CodingKey {
    case success, created, tier, uri, skipped, backup
    case backupID = "backup_id"
    case sizeBytes = "size_bytes"
  }

  public init(_ outcome: BackupManager.Outcome, uri: String?) {
    switch outcome {
    case .created(let record):
      created = true
      backupID = record.id
      tier = record.tier.rawValue
      self.uri = uri
      sizeBytes = record.sizeBytes
      backup = record
    case .skipped(let reason):
      created = false
      skipped = reason
    }
  }
}

/// `cleanup_backups` / `goldfish backup cleanup --json`: upstream's counts and the ids behind them.
public struct BackupCleanupView: Encodable, Sendable {
  public var success = true
  public var deletedExpired: Int
  public var deletedExcess: Int
  public var deleted: [String]

  enum CodingKeys: String, CodingKey {
    case success, deleted
    case deletedExpired = "deleted_expired"
    case deletedExcess = "deleted_excess"
  }

  public init(_ cleanup: BackupManager.Cleanup) {
    deletedExpired = cleanup.deletedExpired.count
    deletedExcess = cleanup.deletedExcess.count
    deleted = cleanup.deletedExpired + cleanup.deletedExcess
  }
}

/// `get_backup_status` / `goldfish backup status --json`.
public struct BackupStatusView: Encodable, Sendable {
  public struct Last: Encodable, Sendable {
    public var backupID: String
    public var tier: String
    public var trigger: String
    public var createdAt: String
    public var error: String?

    enum CodingKeys: String, CodingKey {
      case tier, trigger, error
      case backupID = "backup_id"
      case createdAt = "created_at"
    }

    init(_ record: BackupRecord) {
      backupID = record.id
      tier = record.tier.rawValue
      trigger = record.trigger
      createdAt = record.createdAt
      error = record.error
    }
  }

  public var success = true
  public var enabled: Bool
  public var automatic: Bool
  public var counts: [String: Int]
  public var lastBackup: Last?
  public var lastFailure: Last?
  public var expiredPendingCleanup: Int
  public var storage: String
  public var storageURI: String?
  public var warning: String?

  enum CodingKeys: String, CodingKey {
    case success, enabled, automatic, counts, storage, warning
    case lastBackup = "last_backup"
    case lastFailure = "last_failure"
    case expiredPendingCleanup = "expired_pending_cleanup"
    case storageURI = "storage_uri"
  }

  /// Absent values are null, as upstream's `last_backup: null`.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(success, forKey: .success)
    try container.encode(enabled, forKey: .enabled)
    try container.encode(automatic, forKey: .automatic)
    try container.encode(counts, forKey: .counts)
    try container.encode(lastBackup, forKey: .lastBackup)
    try container.encode(lastFailure, forKey: .lastFailure)
    try container.encode(expiredPendingCleanup, forKey: .expiredPendingCleanup)
    try container.encode(storage, forKey: .storage)
    try container.encode(storageURI, forKey: .storageURI)
    try container.encode(warning, forKey: .warning)
  }

  public init(_ status: BackupManager.Status) {
    enabled = status.enabled
    automatic = status.automatic
    counts = Dictionary(uniqueKeysWithValues: status.counts.map { ($0.key.rawValue, $0.value) })
    lastBackup = status.last.map(Last.init)
    lastFailure = status.lastFailure.map(Last.init)
    expiredPendingCleanup = status.expiredPendingCleanup
    storage = status.storage
    storageURI = status.storageURI
    warning = status.warning
  }

  /// One line per fact, for the CLI and the tool's text.
  public var summary: String {
    var lines = [
      "backups: \(enabled ? "on" : "off") (automatic \(automatic ? "on" : "off")), storage \(storage)"
        + (storageURI.map { " at \($0)" } ?? ""),
      "kept: " + BackupTier.allCases.map { "\($0.rawValue) \(counts[$0.rawValue] ?? 0)" }.joined(separator: ", "),
    ]
    if let lastBackup {
      lines.append("last: \(lastBackup.backupID) (\(lastBackup.tier), \(lastBackup.trigger), \(lastBackup.createdAt))")
    } else {
      lines.append("last: none")
    }
    if let lastFailure {
      lines.append(
        "last attempt failed: \(lastFailure.createdAt) (\(lastFailure.trigger)): \(lastFailure.error ?? "?")")
    }
    if expiredPendingCleanup > 0 { lines.append("expired, waiting for cleanup: \(expiredPendingCleanup)") }
    if let warning { lines.append("warning: \(warning)") }
    return lines.joined(separator: "\n")
  }
}

/// `goldfish backup restore --json`.
public struct BackupRestoredView: Encodable, Sendable {
  public var success = true
  public var backupID: String
  public var tier: String
  public var createdAt: String
  public var rebuilt: Bool
  public var database: String
  public var repository: String
  public var databaseKeptAt: String?
  public var repositoryKeptAt: String?

  enum CodingKeys: String, CodingKey {
    case success, tier, rebuilt, database, repository
    case backupID = "backup_id"
    case createdAt = "created_at"
    case databaseKeptAt = "database_kept_at"
    case repositoryKeptAt = "repository_kept_at"
  }

  public init(_ result: BackupRestore.Result) {
    backupID = result.backup.id
    tier = result.backup.tier.rawValue
    createdAt = result.backup.createdAt
    rebuilt = result.rebuilt
    database = result.database
    repository = result.repository
    databaseKeptAt = result.databaseKeptAt
    repositoryKeptAt = result.repositoryKeptAt
  }

  public var summary: String {
    var lines = ["restored \(backupID) (\(tier), taken \(createdAt))" + (rebuilt ? ", rebuilt from storage alone" : "")]
    if let databaseKeptAt { lines.append("the database it replaced is kept at \(databaseKeptAt)") }
    if let repositoryKeptAt { lines.append("the versions repository it replaced is kept at \(repositoryKeptAt)") }
    return lines.joined(separator: "\n")
  }
}
