import Foundation
import PluginKit

/// One backup: a row of `backups` and an entry of the manifest in storage, the same fields.
public struct BackupRecord: Sendable, Codable, Equatable {
  public enum Status: String, Sendable, Codable { case completed, failed }

  public var id: String
  public var tier: BackupTier
  public var trigger: String
  public var details: String?
  public var status: Status
  public var error: String?
  public var createdAt: String
  public var expiresAt: String
  /// Storage keys (below the storage's root), SHA-256 and sizes of what was written: the gzipped
  /// database snapshot and the git bundle of the versions repository.
  public var databaseKey: String
  public var databaseSHA256: String
  public var databaseBytes: Int64
  public var repositoryKey: String?
  public var repositorySHA256: String?
  public var repositoryBytes: Int64?
  public var deletedAt: String?

  enum CodingKeys: String, CodingKey {
    case id = "backup_id"
    case tier, trigger, details, status, error
    case createdAt = "created_at"
    case expiresAt = "expires_at"
    case databaseKey = "database_key"
    case databaseSHA256 = "database_sha256"
    case databaseBytes = "database_bytes"
    case repositoryKey = "repository_key"
    case repositorySHA256 = "repository_sha256"
    case repositoryBytes = "repository_bytes"
    case deletedAt = "deleted_at"
  }

  public var isKept: Bool { status == .completed && deletedAt == nil }
  public var sizeBytes: Int64 { databaseBytes + (repositoryBytes ?? 0) }
}
