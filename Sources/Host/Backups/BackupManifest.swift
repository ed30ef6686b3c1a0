import Foundation
import PluginKit

/// `backups/manifest.json` in the project's storage: every backup ever taken (deleted ones keep
/// their entry, with `deleted_at`), so a project whose `.goldfish/` is gone can still find them.
struct BackupManifest: Codable, Sendable {
  static let key = BackupStorage.prefix + "manifest.json"

  var formatVersion = 1
  var project: String
  var updatedAt: String
  var backups: [BackupRecord]

  enum CodingKeys: String, CodingKey {
    case formatVersion = "format_version"
    case project
    case updatedAt = "updated_at"
    case backups
  }

  /// Adds or replaces entries by id, newest first.
  mutating func merge(_ records: [BackupRecord]) {
    var byID = Dictionary(backups.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    for record in records { byID[record.id] = record }
    backups = byID.values.sorted { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) }
    updatedAt = Timestamp.now()
  }
}
