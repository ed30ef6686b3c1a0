import Foundation
import PluginKit

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// What every plugin file that loaded said about itself, kept between processes so that a
/// process learns the services on offer without loading every plugin (the GCS and GCE plugins
/// are 19 MB each, with BoringSSL inside): it loads only those it opens. An entry counts only
/// while its file has the same device, inode, size, mtime and ctime, and the whole cache only for
/// the goldfish executable that wrote it (another build may judge a plugin differently). Refused
/// files are never cached: they are loaded again each time, so their reasons stay current.
struct PluginDescriptorCache {
  struct Entry: Codable {
    var stamp: PluginFileStamp
    var info: PluginInfo
  }

  private struct Contents: Codable {
    var host: PluginFileStamp
    var version: String
    var entries: [String: Entry]
  }

  /// Entries kept at most (the least recently written go first).
  static let limit = 256

  let path: String?
  private let host: PluginFileStamp?
  private var entries: [String: Entry] = [:]
  private var changed = false

  /// The cache of this user and goldfish executable; `GOLDFISH_PLUGIN_CACHE=off` turns it off.
  static func standard(environment: [String: String] = ProcessInfo.processInfo.environment) -> PluginDescriptorCache {
    if environment["GOLDFISH_PLUGIN_CACHE"] == "off" { return PluginDescriptorCache(path: nil) }
    let base =
      environment["XDG_CACHE_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil }
      ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.cache"
    return PluginDescriptorCache(path: base + "/goldfish/plugin-descriptors.json")
  }

  init(path: String?) {
    self.path = path
    host = PluginFileStamp("/proc/self/exe")
    guard let path, let host, let data = FileManager.default.contents(atPath: path),
      let contents = try? JSONDecoder().decode(Contents.self, from: data),
      contents.host == host, contents.version == GoldfishVersion.current
    else { return }
    entries = contents.entries
  }

  /// What the file at `path` registered when it last loaded, if it is still that file.
  func info(path: String, stamp: PluginFileStamp) -> PluginInfo? {
    guard let entry = entries[path], entry.stamp == stamp else { return nil }
    return entry.info
  }

  mutating func remember(path: String, stamp: PluginFileStamp, info: PluginInfo) {
    guard self.path != nil, entries[path]?.stamp != stamp || entries[path]?.info != info else { return }
    entries[path] = Entry(stamp: stamp, info: info)
    changed = true
  }

  /// Writes the cache if anything was learnt, atomically (temp file + rename); a cache that
  /// cannot be written is only a slower next start.
  func save() {
    guard changed, let path, let host else { return }
    var kept = entries
    if kept.count > Self.limit {
      for key in kept.keys.sorted().prefix(kept.count - Self.limit) { kept[key] = nil }
    }
    let contents = Contents(host: host, version: GoldfishVersion.current, entries: kept)
    guard let data = try? JSONEncoder().encode(contents) else { return }
    let folder = (path as NSString).deletingLastPathComponent
    try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    // Threads of one process may write at once: each its own temp file.
    let temporary = path + ".\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
    guard FileManager.default.createFile(atPath: temporary, contents: data) else { return }
    if rename(temporary, path) != 0 { unlink(temporary) }
  }
}

/// A file as the file system describes it (links followed): equal stamps mean the same bytes,
/// as git's index judges unchanged files.
struct PluginFileStamp: Codable, Equatable, Hashable, Sendable {
  var device: UInt64
  var inode: UInt64
  var size: Int64
  var modified: Int64
  var changed: Int64

  init?(_ path: String) {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    device = UInt64(info.st_dev)
    inode = UInt64(info.st_ino)
    size = Int64(info.st_size)
    modified = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
    changed = Int64(info.st_ctim.tv_sec) * 1_000_000_000 + Int64(info.st_ctim.tv_nsec)
  }
}
