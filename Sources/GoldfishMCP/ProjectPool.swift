import Foundation
import Host
import PluginKit
import PluginSupport
import Synchronization

/// Projects this server opened, kept between tool calls while nothing they were opened from has
/// changed: opening one reads goldfish.yaml, loads plugins and opens the database and the version
/// repository, which was most of a quick call's time. Each call has a project to itself (libgit2
/// handles are not shared between threads), so concurrent calls open more, and up to
/// `maxIdle` wait here for the next call. Everything else (runs, workspaces, versions) is read
/// from the database and the repository on each call, as before.
final class ProjectPool: @unchecked Sendable {
  static let maxIdle = 4

  private let condition = NSCondition()
  private var idle: [(project: Project, stamp: ProjectStamp)] = []
  /// The run backend and storage a pooled project opened, kept while the project is: reading a
  /// run (inspect_run, logs) opened both services on every call. Dropped with their project.
  private var services: [ObjectIdentifier: ExecutionServices] = [:]
  /// Prewarms in flight: a call waits for one rather than opening a second project beside it.
  private var warming = 0
  private var openedCount = 0
  var opened: Int { condition.withLock { openedCount } }

  func with<T>(_ location: ProjectLocation, _ body: (Project) throws -> T) throws -> T {
    let stamp = ProjectStamp(location)
    let project = try checkout(location, stamp) ?? open(location)
    defer { checkin(project, stamp) }
    return try body(project)
  }

  /// Opens one project ahead of the first call (a server does this while its client is still
  /// shaking hands), so that call finds it ready.
  func prewarm(_ location: ProjectLocation) {
    condition.withLock { warming += 1 }
    defer {
      condition.withLock {
        warming -= 1
        condition.broadcast()
      }
    }
    let stamp = ProjectStamp(location)
    guard let project = try? open(location) else { return }
    checkin(project, stamp)
  }

  /// The services `project` (checked out by the caller) opened before, or opens them now.
  func services(of project: Project) throws(GoldfishError) -> ExecutionServices {
    let key = ObjectIdentifier(project)
    if let kept = condition.withLock({ services[key] }) { return kept }
    let opened = try ExecutionServices.open(project)
    condition.withLock { services[key] = opened }
    return opened
  }

  private func open(_ location: ProjectLocation) throws(GoldfishError) -> Project {
    let project = try Project.open(location)
    condition.withLock { openedCount += 1 }
    return project
  }

  private func checkout(_ location: ProjectLocation, _ stamp: ProjectStamp) -> Project? {
    condition.withLock {
      while idle.isEmpty && warming > 0 { condition.wait() }
      // Anything opened before a change is stale for good.
      for entry in idle where entry.project.location != location || entry.stamp != stamp {
        services[ObjectIdentifier(entry.project)] = nil
      }
      idle.removeAll { $0.project.location != location || $0.stamp != stamp }
      return idle.popLast()?.project
    }
  }

  /// Kept with the stamp taken before it was opened: if the call changed goldfish.yaml, the next
  /// checkout's stamp differs and drops it, so no second stamp is needed here.
  private func checkin(_ project: Project, _ stamp: ProjectStamp) {
    condition.withLock {
      if idle.count < Self.maxIdle {
        idle.append((project, stamp))
      } else {
        services[ObjectIdentifier(project)] = nil
      }
      condition.broadcast()
    }
  }
}

/// What an open project was built from, as the file system describes it: goldfish.yaml, the
/// database file and every plugin file discovery would load. Equal stamps mean an open project
/// is still what `Project.open` would give.
struct ProjectStamp: Equatable {
  private var files: [FileStamp]

  init(_ location: ProjectLocation) {
    files = Self.watchedPaths(location).map(FileStamp.init)
  }

  /// What goldfish.yaml and the plugin folders last gave, while neither changed: reading the
  /// YAML and listing every plugin folder on each call cost more than a quick call itself.
  private static let known = Mutex<[String: (sources: [FileStamp], paths: [String])]>([:])

  /// goldfish.yaml, every plugin file discovery would load and the database file.
  private static func watchedPaths(_ location: ProjectLocation) -> [String] {
    if let entry = known.withLock({ $0[location.configPath] }),
      entry.sources == entry.sources.map({ FileStamp($0.path) })
    {
      return entry.paths
    }
    // Each stamped before it is read: a change while reading shows as a difference next time.
    var stamps = [FileStamp(location.configPath)]
    var paths = [location.configPath]
    if let document = try? ConfigDocument.load(location.configPath) {
      let config = (try? PluginsConfig(from: document)) ?? PluginsConfig()
      let discovery = PluginDiscovery(config: config, projectRoot: location.root)
      stamps += discovery.folders().map { FileStamp($0.path) }
      paths += discovery.candidates().map(\.path)
      let dev = document.value(at: "dev_repo_path")?.stringValue ?? ".goldfish"
      paths.append((dev.hasPrefix("/") ? dev : location.root + "/" + dev) + "/goldfish.db")
    }
    known.withLock { $0[location.configPath] = (stamps, paths) }
    return paths
  }

  fileprivate struct FileStamp: Equatable {
    var path: String
    var device: UInt64 = 0
    var inode: UInt64 = 0
    var size: Int64 = -1
    var modified: Int = 0
    var modifiedNanoseconds: Int = 0
    var changed: Int = 0
    var changedNanoseconds: Int = 0

    init(_ path: String) {
      self.path = path
      // Links are followed: goldfish.yaml or a plugin may be one.
      guard let resolved = realpath(path, nil) else { return }
      defer { free(resolved) }
      guard let info = POSIXFile.fileInfo(String(cString: resolved)) else { return }
      device = UInt64(info.st_dev)
      inode = UInt64(info.st_ino)
      size = Int64(info.st_size)
      modified = info.st_mtim.tv_sec
      modifiedNanoseconds = info.st_mtim.tv_nsec
      changed = info.st_ctim.tv_sec
      changedNanoseconds = info.st_ctim.tv_nsec
    }
  }
}
