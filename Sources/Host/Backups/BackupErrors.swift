import PluginKit

extension GoldfishError.Code {
  /// `backup.enabled` is false.
  public static let backupsDisabled = Self("backups_disabled")
  /// No backup with that id, or none at all, in the project's storage.
  public static let backupNotFound = Self("backup_not_found")
  /// A stored backup does not match its checksum or is not what it claims to be.
  public static let backupInvalid = Self("backup_invalid")
  /// Restore would pull the database from under runs that are still going.
  public static let restoreRefused = Self("restore_refused")
}
