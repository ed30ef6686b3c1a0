import Foundation
import PluginKit
import PluginSupport

/// `goldfish backup restore [ID]`: puts a backup's database and versions repository back in
/// place. Works with `.goldfish/` gone entirely: goldfish.yaml names the storage, and the
/// manifest in it names the backups. What it replaces is kept aside, under a name it reports.
public struct BackupRestore: Sendable {
  public let location: ProjectLocation

  public init(location: ProjectLocation) { self.location = location }

  public struct Result: Sendable {
    public var backup: BackupRecord
    /// Where the replaced database and repository now are; nil when there was none.
    public var databaseKeptAt: String?
    public var repositoryKeptAt: String?
    /// `.goldfish/` (or its database) was missing and was rebuilt from storage alone.
    public var rebuilt: Bool
    public var database: String
    public var repository: String
  }

  public func restore(id: String? = nil, now: Date = Date()) throws(GoldfishError) -> Result {
    let plugins = try PluginHost.start(project: location)
    let serviceNames = Set(plugins.registry.plugins.flatMap(\.services).map(\.name))
    let config = try GoldfishConfig.load(project: location, serviceNames: serviceNames)
    let paths = ProjectPaths(root: location.root, settings: ProjectSettings(config: config))
    let manager = FileManager.default
    let hadDatabase = manager.fileExists(atPath: paths.database)
    if hadDatabase { try refuseWhileRunsAreActive(paths.database) }
    for folder in [paths.devDir, paths.locks, paths.runs] {
      try? manager.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }
    let storage: BackupStorage
    do { storage = try BackupStorage(plugins: plugins) } catch {
      throw GoldfishError(
        error.code, "cannot open the project's storage to restore from: \(error.message)",
        hint: "goldfish.yaml's storage.backend (and its section, e.g. file.root) must name the storage the backups "
          + "were written to", detail: error.detail)
    }
    return try BackupLock.holding(paths.locks) { () throws(GoldfishError) -> Result in
      let scratch = try BackupManager.scratchDirectory(in: paths.devDir)
      defer { try? manager.removeItem(atPath: scratch) }
      let manifest = try storage.readManifest(scratch: scratch)
      let backup = try choose(id: id, from: manifest?.backups ?? [], storage: storage)
      let database = scratch + "/goldfish.db"
      try fetch(
        backup.databaseKey, sha256: backup.databaseSHA256, bytes: backup.databaseBytes, storage, scratch + "/db.gz")
      try Gzip.decompress(scratch + "/db.gz", to: database)
      var bundle: String?
      if let key = backup.repositoryKey, let sha = backup.repositorySHA256 {
        try fetch(key, sha256: sha, bytes: backup.repositoryBytes, storage, scratch + "/versions.bundle")
        bundle = scratch + "/versions.bundle"
      }
      // Everything is downloaded and verified before anything in place is touched.
      let repository = scratch + "/versions.git"
      if let bundle { try RepositoryBundle.restore(bundle, into: repository) }
      let stamp = Self.stamp(now)
      let databaseKeptAt = try keepAside(paths.database, suffix: stamp, companions: ["-wal", "-shm"])
      try move(database, to: paths.database)
      var repositoryKeptAt: String?
      if bundle != nil {
        repositoryKeptAt = try keepAside(paths.repository, suffix: stamp, companions: [])
        try move(repository, to: paths.repository)
      }
      // The restored database predates the backups taken after it: the manifest knows them all.
      let store = try ProjectStore.open(path: paths.database)
      if let manifest { try store.importBackups(manifest.backups) }
      return Result(
        backup: backup, databaseKeptAt: databaseKeptAt, repositoryKeptAt: repositoryKeptAt, rebuilt: !hadDatabase,
        database: paths.database, repository: paths.repository)
    }
  }

  private func refuseWhileRunsAreActive(_ database: String) throws(GoldfishError) {
    let store = try ProjectStore.open(path: database)
    let active = try store.stageRuns(states: StageRunState.allCases.filter(\.isActive), limit: 50)
    guard active.isEmpty else {
      let names = active.map { "\($0.id) (\($0.stage), \($0.state.rawValue))" }
      throw GoldfishError(
        .restoreRefused,
        "cannot restore while runs are active: \(names.joined(separator: ", ")); restoring would lose what they record",
        hint: "wait for them or cancel them (goldfish cancel <run>), stop any `goldfish serve`, then restore",
        detail: ["active_runs": .array(active.map { .string($0.id) })])
    }
  }

  private func choose(
    id: String?, from backups: [BackupRecord], storage: BackupStorage
  ) throws(GoldfishError)
    -> BackupRecord
  {
    let kept = backups.filter(\.isKept)
    if let id {
      guard let backup = backups.first(where: { $0.id == id }) else {
        throw GoldfishError(
          .backupNotFound, "there is no backup \(id) in \(storage.prefixURI ?? "the storage")",
          hint: "goldfish backup list shows the backups that exist")
      }
      guard backup.isKept else {
        throw GoldfishError(
          .backupNotFound, "backup \(id) was \(backup.deletedAt.map { "deleted at \($0)" } ?? "a failed attempt")",
          hint: "pick one that exists: goldfish backup list")
      }
      return backup
    }
    guard let newest = kept.max(by: { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }) else {
      throw GoldfishError(
        .backupNotFound, "no backup was found in \(storage.prefixURI ?? "the storage")",
        hint: "goldfish.yaml's storage section must name the storage the backups were written to")
    }
    return newest
  }

  private func fetch(
    _ key: String, sha256: String, bytes: Int64?, _ storage: BackupStorage, _ path: String
  ) throws(GoldfishError) {
    guard try storage.get(key, to: path) else {
      throw GoldfishError(
        .backupNotFound, "\(try storage.uri(key)) is missing from the storage", hint: "restore another backup")
    }
    let (size, actual) = try BackupManager.checksum(path)
    guard actual == sha256, bytes == nil || bytes == size else {
      throw GoldfishError(
        .backupInvalid,
        "\(try storage.uri(key)) does not match its checksum (sha256 \(actual), \(size) bytes; the manifest says "
          + "\(sha256), \(bytes.map(String.init) ?? "?") bytes); nothing was restored",
        hint: "the stored copy is damaged: restore another backup (goldfish backup list)")
    }
  }

  /// Renames `path` (and its companion files) to `<path>.before-restore-<stamp>`.
  private func keepAside(_ path: String, suffix: String, companions: [String]) throws(GoldfishError) -> String? {
    guard FileManager.default.fileExists(atPath: path) else { return nil }
    let aside = path + ".before-restore-" + suffix
    try move(path, to: aside)
    for companion in companions where FileManager.default.fileExists(atPath: path + companion) {
      try move(path + companion, to: aside + companion)
    }
    return aside
  }

  private func move(_ from: String, to destination: String) throws(GoldfishError) {
    guard rename(from, destination) == 0 else {
      throw GoldfishError(.ioFailed, "cannot move \(from) to \(destination): \(String(cString: strerror(errno)))")
    }
  }

  static func stamp(_ date: Date) -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "UTC")
    formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
    return formatter.string(from: date)
  }
}
