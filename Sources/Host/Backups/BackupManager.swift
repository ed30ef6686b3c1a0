import Foundation
import PluginKit
import PluginSupport

/// Backups of one project: the database as an online snapshot, gzipped, and the versions
/// repository as a git bundle, written to the project's object storage under `backups/` with a
/// manifest beside them, and a row in `backups` for each attempt.
public struct BackupManager: Sendable {
  public let project: Project
  var config: BackupConfig { project.config.backup }

  public init(project: Project) { self.project = project }

  /// What `create` did.
  public enum Outcome: Sendable {
    case created(BackupRecord)
    /// A trigger under the rate limit: the last backup is recent enough.
    case skipped(reason: String)
  }

  /// Takes a backup now. `trigger` names the event (`manual`, `create_workspace`, `save_version`,
  /// `delete_workspace`, `run`); all but `run` and other unnamed ones skip the rate limit.
  /// A failure is recorded as a `failed` row before it is thrown.
  public func create(trigger: String, details: String? = nil, now: Date = Date()) throws(GoldfishError) -> Outcome {
    guard config.enabled else {
      throw GoldfishError(
        .backupsDisabled, "backups are off for this project (backup.enabled: false)",
        hint: "set backup.enabled: true in goldfish.yaml")
    }
    return try BackupLock.holding(project.paths.locks) { () throws(GoldfishError) -> Outcome in
      if !BackupTier.bypassesRateLimit(trigger), let last = try project.store.backups().first,
        let lastDate = Self.date(last.createdAt), now.timeIntervalSince(lastDate) < Double(config.rateLimitSeconds)
      {
        return .skipped(
          reason:
            "the last backup (\(last.id)) is less than \(config.rateLimitSeconds) s old (backup.rate_limit_seconds)")
      }
      let kept = try project.store.backups()
      let tier = BackupTier.choose(at: now) { tier, period in
        kept.contains { $0.tier == tier && Self.date($0.createdAt).map { period.contains($0) } == true }
      }
      let id = Self.identifier(at: now)
      var record = BackupRecord(
        id: id, tier: tier, trigger: trigger, details: details, status: .completed, error: nil,
        createdAt: Timestamp.format(now),
        expiresAt: Timestamp.format(now.addingTimeInterval(Double(config.retentionSeconds(tier)))),
        databaseKey: "\(BackupStorage.prefix)\(tier.rawValue)/\(id).db.gz", databaseSHA256: "", databaseBytes: 0,
        repositoryKey: "\(BackupStorage.prefix)\(tier.rawValue)/\(id).bundle", repositorySHA256: nil,
        repositoryBytes: nil, deletedAt: nil)
      do throws(GoldfishError) {
        try write(&record)
      } catch {
        record.status = .failed
        record.error = error.message
        try? project.store.insertBackup(record)
        throw error
      }
      try project.store.insertBackup(record)
      _ = try? cleanupLocked(now: now)
      return .created(record)
    }
  }

  /// Snapshot, compress, bundle, upload, then the manifest: a backup is listed only once its
  /// files are in storage.
  private func write(_ record: inout BackupRecord) throws(GoldfishError) {
    let scratch = try Self.scratchDirectory(in: project.paths.devDir)
    defer { try? FileManager.default.removeItem(atPath: scratch) }
    let snapshot = scratch + "/goldfish.db"
    let compressed = scratch + "/goldfish.db.gz"
    let bundle = scratch + "/versions.bundle"
    try project.store.snapshot(to: snapshot)
    try Gzip.compress(snapshot, to: compressed)
    try RepositoryBundle.write(project.repository, to: bundle)
    let storage = try BackupStorage(plugins: project.plugins)
    (record.databaseBytes, record.databaseSHA256) = try Self.checksum(compressed)
    let (bundleBytes, bundleSHA) = try Self.checksum(bundle)
    (record.repositoryBytes, record.repositorySHA256) = (bundleBytes, bundleSHA)
    try storage.put(compressed, key: record.databaseKey)
    if let key = record.repositoryKey { try storage.put(bundle, key: key) }
    var manifest =
      try storage.readManifest(scratch: scratch)
      ?? BackupManifest(project: project.config.projectName, updatedAt: Timestamp.now(), backups: [])
    manifest.merge([record])
    try storage.writeManifest(manifest, scratch: scratch)
  }

  // MARK: reading

  /// The URI of a stored backup file, as the storage names it; nil when the storage cannot say.
  public func uri(of key: String) -> String? {
    try? BackupStorage(plugins: project.plugins).uri(key)
  }

  public func list(tier: BackupTier? = nil, includeDeleted: Bool = false) throws(GoldfishError) -> [BackupRecord] {
    try project.store.backups(tier: tier, includeDeleted: includeDeleted)
  }

  public struct Status: Sendable {
    public var enabled: Bool
    public var automatic: Bool
    public var counts: [BackupTier: Int]
    public var last: BackupRecord?
    /// The newest attempt when it failed: what went wrong with the last backup.
    public var lastFailure: BackupRecord?
    public var expiredPendingCleanup: Int
    public var storage: String
    public var storageURI: String?
    /// Backups in the default `file` storage sit inside `.goldfish/`: they cannot rebuild it.
    public var warning: String?
  }

  public func status(now: Date = Date()) throws(GoldfishError) -> Status {
    let kept = try project.store.backups()
    var counts = Dictionary(uniqueKeysWithValues: BackupTier.allCases.map { ($0, 0) })
    for backup in kept { counts[backup.tier, default: 0] += 1 }
    let attempt = try project.store.lastBackupAttempt()
    let storage = try? BackupStorage(plugins: project.plugins)
    return Status(
      enabled: config.enabled, automatic: config.automatic, counts: counts, last: kept.first,
      lastFailure: attempt?.status == .failed ? attempt : nil,
      expiredPendingCleanup: kept.filter { Self.isExpired($0, now: now) }.count,
      storage: storage?.client.name ?? (try? project.plugins.selectedName(.objectStorage)) ?? "file",
      storageURI: storage?.prefixURI, warning: storageWarning(storage))
  }

  func storageWarning(_ storage: BackupStorage?) -> String? {
    guard let storage, storage.isInside(project.paths.devDir) else { return nil }
    return "the \(storage.client.name) storage keeps its files inside \(project.paths.devDir), so backups there are "
      + "lost with it; automatic backups are off until file.root (or storage.backend) points elsewhere"
  }

  // MARK: cleanup

  public struct Cleanup: Sendable, Equatable {
    public var deletedExpired: [String]
    public var deletedExcess: [String]
  }

  /// Deletes expired backups and event backups beyond `backup.event_max` (oldest first), in
  /// storage and in the manifest; their rows stay, with `deleted_at`.
  public func cleanup(now: Date = Date()) throws(GoldfishError) -> Cleanup {
    try BackupLock.holding(project.paths.locks) { () throws(GoldfishError) -> Cleanup in try cleanupLocked(now: now) }
  }

  private func cleanupLocked(now: Date) throws(GoldfishError) -> Cleanup {
    let kept = try project.store.backups()
    let expired = kept.filter { Self.isExpired($0, now: now) }
    let events = kept.filter { $0.tier == .event && !Self.isExpired($0, now: now) }
    let excess = Array(events.dropFirst(config.eventMax))
    let doomed = expired + excess
    guard !doomed.isEmpty else { return Cleanup(deletedExpired: [], deletedExcess: []) }
    let storage = try BackupStorage(plugins: project.plugins)
    let deletedAt = Timestamp.format(now)
    var removed: [BackupRecord] = []
    for var backup in doomed {
      try storage.delete(backup.databaseKey)
      if let key = backup.repositoryKey { try storage.delete(key) }
      try project.store.markBackupDeleted(backup.id, at: deletedAt)
      backup.deletedAt = deletedAt
      removed.append(backup)
    }
    let scratch = try Self.scratchDirectory(in: project.paths.devDir)
    defer { try? FileManager.default.removeItem(atPath: scratch) }
    if var manifest = try storage.readManifest(scratch: scratch) {
      manifest.merge(removed)
      try storage.writeManifest(manifest, scratch: scratch)
    }
    return Cleanup(deletedExpired: expired.map(\.id), deletedExcess: excess.map(\.id))
  }

  // MARK: helpers

  static func isExpired(_ backup: BackupRecord, now: Date) -> Bool {
    guard let expires = date(backup.expiresAt) else { return false }
    return expires <= now
  }

  static func date(_ text: String) -> Date? {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return formatter.date(from: text)
  }

  /// `backup-20261203T161500Z-3f9a`: sorts by time, unique across processes.
  static func identifier(at date: Date) -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "UTC")
    formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
    return "backup-\(formatter.string(from: date))-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
  }

  static func scratchDirectory(in parent: String) throws(GoldfishError) -> String {
    let path = parent + "/backup-scratch-\(UUID().uuidString.prefix(8))"
    do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
      throw GoldfishError(.ioFailed, "cannot create \(path): \(error.localizedDescription)")
    }
    return path
  }

  static func checksum(_ path: String) throws(GoldfishError) -> (Int64, String) {
    do {
      let (size, sha) = try POSIXFile.sha256(of: path)
      return (size, sha)
    } catch {
      throw GoldfishError(.ioFailed, error.message)
    }
  }
}
