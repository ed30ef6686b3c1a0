import Foundation
import PluginKit

/// `swiftdir`: an object storage that keeps each object as a file under a root folder, with URIs
/// `swiftdir:///<key>`. Written only against PluginKit, the SDK a third party links.
///
///     swiftdir:
///       root: ./objects     # relative to the project (required)
final class SwiftDirStorage: LocalObjectStorage, @unchecked Sendable {
  static let serviceName = "swiftdir"
  static let capabilities: JSONValue = [
    "concurrency": "parallel", "implemented": true, "schemes": ["swiftdir"], "local": true,
    "hash": "crc32c", "resumable": false, "max_object_bytes": nil,
  ]
  static let scheme = "swiftdir:///"

  private struct Config: Decodable {
    static let keys = ["root"]
    var root: String

    /// The root made absolute against the project: what `init` opens and `checkConfig` reports.
    func absoluteRoot(_ context: ServiceContext) -> String {
      let base = context.projectRoot ?? FileManager.default.currentDirectoryPath
      return root.hasPrefix("/") ? root : base + "/" + root
    }
  }

  private let root: String
  private let files = FileManager.default

  /// The section checked from the same `Config` that `init` reads, creating nothing
  /// (`goldfish config validate` and `config show` ask this).
  static func checkConfig(_ config: JSONValue, context: ServiceContext) -> ConfigReport? {
    let unknown = ConfigReport.unknownKeys(in: config, allowed: Config.keys)
    do {
      let settings = try decodeConfig(Config.self, from: config)
      return ConfigReport(effective: ["root": .string(settings.absoluteRoot(context))], problems: unknown)
    } catch {
      return ConfigReport(refused: error, problems: unknown)
    }
  }

  init(config: JSONValue, context: ServiceContext) throws(PluginError) {
    let root = try Self.decodeConfig(Config.self, from: config).absoluteRoot(context)
    do {
      try files.createDirectory(atPath: root, withIntermediateDirectories: true)
    } catch {
      throw PluginError(.invalidArgument, "swiftdir.root \(root) cannot be created: \(error.localizedDescription)")
    }
    self.root = URL(fileURLWithPath: root).standardizedFileURL.path
  }

  func uri(forKey key: String) throws(PluginError) -> String {
    try StorageKey.validate(key)
    return Self.scheme + key
  }

  func putFile(uri: String, path: String, contentType: String?) throws(PluginError) -> ObjectInfo {
    let target = try self.path(of: uri)
    try replace(target) { partial throws(PluginError) in
      do {
        try files.copyItem(atPath: path, toPath: partial)
      } catch {
        throw PluginError(files.fileExists(atPath: path) ? .io : .notFound, "cannot read \(path): \(error)")
      }
    }
    return ObjectInfo(size: try size(of: target))
  }

  func getFile(uri: String, path: String) throws(PluginError) -> Int64 {
    let source = try existing(uri)
    try replace(path) { partial throws(PluginError) in
      do {
        try files.copyItem(atPath: source, toPath: partial)
      } catch {
        throw PluginError(.io, "cannot write \(path): \(error.localizedDescription)")
      }
    }
    return try size(of: path)
  }

  func putBytes(uri: String, data: UnsafeRawBufferPointer, contentType: String?) throws(PluginError) -> ObjectInfo {
    let target = try path(of: uri)
    let bytes = Data(data)
    try replace(target) { partial throws(PluginError) in
      guard files.createFile(atPath: partial, contents: bytes) else {
        throw PluginError(.io, "cannot write the object \(uri) under \(root)")
      }
    }
    return ObjectInfo(size: Int64(bytes.count))
  }

  func getBytes(uri: String, maxBytes: Int) throws(PluginError) -> [UInt8] {
    let source = try existing(uri)
    let size = try size(of: source)
    guard size <= maxBytes else {
      throw PluginError(.invalidArgument, "\(uri) is \(size) bytes, more than max_bytes \(maxBytes)")
    }
    return try read(source)
  }

  func stat(uri: String) throws(PluginError) -> ObjectInfo {
    let source = try existing(uri)
    return ObjectInfo(size: try size(of: source), hash: ["crc32c": CRC32C.hex(of: try read(source))])
  }

  func exists(uri: String) throws(PluginError) -> Bool {
    var folder: ObjCBool = false
    return files.fileExists(atPath: try path(of: uri), isDirectory: &folder) && !folder.boolValue
  }

  func list(prefix: String, pageToken: String?, pageSize: Int) throws(PluginError) -> ObjectListing {
    let all = (files.enumerator(atPath: root)?.allObjects as? [String] ?? [])
      .filter { !$0.split(separator: "/").contains { $0.hasPrefix(".partial-") } }
      .map { Self.scheme + $0 }
      .filter { $0.hasPrefix(prefix) && (try? exists(uri: $0)) == true }
      .sorted()
    let remaining = all.filter { pageToken == nil || $0 > pageToken! }
    let page = Array(remaining.prefix(max(1, pageSize)))
    let entries = page.map {
      ObjectListing.Entry(uri: $0, size: try? size(of: root + "/" + $0.dropFirst(Self.scheme.count)))
    }
    return ObjectListing(objects: entries, nextPageToken: remaining.count > page.count ? page.last : nil)
  }

  func delete(uri: String) throws(PluginError) -> Bool {
    guard try exists(uri: uri) else { return false }
    do {
      try files.removeItem(atPath: try path(of: uri))
      return true
    } catch {
      throw PluginError(.io, "cannot delete \(uri): \(error.localizedDescription)")
    }
  }

  func localPath(uri: String) throws(PluginError) -> String { try existing(uri) }

  /// The file of a URI of this storage; refuses other schemes and keys that could leave the root.
  private func path(of uri: String) throws(PluginError) -> String {
    guard uri.hasPrefix(Self.scheme) else {
      throw PluginError(.invalidArgument, "\(uri) is not a \(Self.scheme) URI")
    }
    let key = String(uri.dropFirst(Self.scheme.count))
    try StorageKey.validate(key)
    return root + "/" + key
  }

  private func existing(_ uri: String) throws(PluginError) -> String {
    guard try exists(uri: uri) else { throw PluginError(.notFound, "object \(uri) does not exist") }
    return try path(of: uri)
  }

  /// Writes through a temporary file beside `target` and renames it over, so a reader never
  /// sees half an object.
  private func replace(_ target: String, _ write: (String) throws(PluginError) -> Void) throws(PluginError) {
    let folder = (target as NSString).deletingLastPathComponent
    do {
      try files.createDirectory(atPath: folder, withIntermediateDirectories: true)
    } catch {
      throw PluginError(.io, "cannot create \(folder): \(error.localizedDescription)")
    }
    let partial = folder + "/.partial-" + UUID().uuidString
    do {
      try write(partial)
    } catch {
      try? files.removeItem(atPath: partial)
      throw error
    }
    guard rename(partial, target) == 0 else {
      let reason = String(cString: strerror(errno))
      try? files.removeItem(atPath: partial)
      throw PluginError(.io, "cannot write \(target): \(reason)")
    }
  }

  private func size(of path: String) throws(PluginError) -> Int64 {
    guard let size = (try? files.attributesOfItem(atPath: path))?[.size] as? NSNumber else {
      throw PluginError(.notFound, "\(path) does not exist")
    }
    return size.int64Value
  }

  private func read(_ path: String) throws(PluginError) -> [UInt8] {
    guard let data = files.contents(atPath: path) else { throw PluginError(.io, "cannot read \(path)") }
    return [UInt8](data)
  }
}

@_cdecl("goldfish_plugin_entry")
public func goldfishPluginEntry(_ host: UnsafePointer<gf_host_api>?) -> UnsafeRawPointer? {
  Plugin.export(
    host, name: "swiftdir", version: "1.0.0", description: "Example: object storage in a folder, built out of tree",
    services: [SwiftDirStorage.self])
}
