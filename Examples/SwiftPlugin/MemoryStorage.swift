import Foundation
import PluginKit

/// A complete Swift plugin: an object storage that keeps objects in memory, named
/// `memory:///<key>`. Useful as a template and for tests; everything is lost at exit.
final class MemoryStorage: ObjectStorage, @unchecked Sendable {
  static let serviceName = "memory"
  static let capabilities = ObjectStorageCapabilities(schemes: ["memory"], hash: "crc32c").json

  private struct Config: Decodable {
    static let keys = ["max_bytes"]
    var maxBytes: Int?
    enum CodingKeys: String, CodingKey { case maxBytes = "max_bytes" }

    /// The one place the default is written: `init` uses it and `checkConfig` reports it.
    var effectiveMaxBytes: Int { maxBytes ?? (256 << 20) }
  }

  private let lock = NSLock()
  private var objects: [String: [UInt8]] = [:]
  private let maxBytes: Int

  /// The section checked from the same `Config` that `init` reads (`goldfish config validate`).
  static func checkConfig(_ config: JSONValue, context: ServiceContext) -> ConfigReport? {
    let unknown = ConfigReport.unknownKeys(in: config, allowed: Config.keys)
    do {
      let settings = try decodeConfig(Config.self, from: config)
      return ConfigReport(effective: ["max_bytes": .int(Int64(settings.effectiveMaxBytes))], problems: unknown)
    } catch {
      return ConfigReport(refused: error, problems: unknown)
    }
  }

  init(config: JSONValue, context: ServiceContext) throws(PluginError) {
    maxBytes = try Self.decodeConfig(Config.self, from: config).effectiveMaxBytes
  }

  func uri(forKey key: String) throws(PluginError) -> String {
    try StorageKey.validate(key)
    return "memory:///" + key
  }

  func putFile(uri: String, path: String, contentType: String?) throws(PluginError) -> ObjectInfo {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw PluginError(.notFound, "cannot read \(path)")
    }
    return try store(uri, [UInt8](data))
  }

  func getFile(uri: String, path: String) throws(PluginError) -> Int64 {
    let bytes = try load(uri)
    // Written beside the target and renamed over it, so a reader never sees half an object.
    let partial = path + ".partial-" + UUID().uuidString
    guard FileManager.default.createFile(atPath: partial, contents: Data(bytes)) else {
      throw PluginError(.io, "cannot write \(path): check that its folder exists and is writable")
    }
    guard rename(partial, path) == 0 else {
      try? FileManager.default.removeItem(atPath: partial)
      throw PluginError(.io, "cannot write \(path): rename failed with errno \(errno)")
    }
    return Int64(bytes.count)
  }

  func putBytes(
    uri: String, data: UnsafeRawBufferPointer, contentType: String?
  ) throws(PluginError)
    -> ObjectInfo
  { try store(uri, [UInt8](data)) }

  func getBytes(uri: String, maxBytes: Int) throws(PluginError) -> [UInt8] {
    let bytes = try load(uri)
    guard bytes.count <= maxBytes else {
      throw PluginError(.invalidArgument, "\(uri) is \(bytes.count) bytes, more than max_bytes \(maxBytes)")
    }
    return bytes
  }

  func stat(uri: String) throws(PluginError) -> ObjectInfo {
    let bytes = try load(uri)
    return ObjectInfo(size: Int64(bytes.count), hash: ["crc32c": CRC32C.hex(of: bytes)])
  }

  func exists(uri: String) throws(PluginError) -> Bool {
    try checked(uri)
    return lock.withLock { objects[uri] != nil }
  }

  func list(prefix: String, pageToken: String?, pageSize: Int) throws(PluginError) -> ObjectListing {
    let uris = lock.withLock { objects.keys.filter { $0.hasPrefix(prefix) } }.sorted()
    let remaining = uris.filter { pageToken == nil || $0 > pageToken! }
    let page = Array(remaining.prefix(pageSize))
    let entries = lock.withLock { page.map { ObjectListing.Entry(uri: $0, size: objects[$0].map { Int64($0.count) }) } }
    return ObjectListing(objects: entries, nextPageToken: remaining.count > pageSize ? page.last : nil)
  }

  func delete(uri: String) throws(PluginError) -> Bool {
    try checked(uri)
    return lock.withLock { objects.removeValue(forKey: uri) != nil }
  }

  private func store(_ uri: String, _ bytes: [UInt8]) throws(PluginError) -> ObjectInfo {
    try checked(uri)
    guard bytes.count <= maxBytes else {
      throw PluginError(.invalidArgument, "\(uri) would be \(bytes.count) bytes; memory.max_bytes is \(maxBytes)")
    }
    lock.withLock { objects[uri] = bytes }
    return ObjectInfo(size: Int64(bytes.count))
  }

  private func load(_ uri: String) throws(PluginError) -> [UInt8] {
    try checked(uri)
    guard let bytes = lock.withLock({ objects[uri] }) else {
      throw PluginError(.notFound, "object \(uri) does not exist")
    }
    return bytes
  }

  private func checked(_ uri: String) throws(PluginError) {
    guard uri.hasPrefix("memory:///") else {
      throw PluginError(.invalidArgument, "\(uri) is not a memory:/// URI")
    }
    try StorageKey.validate(String(uri.dropFirst("memory:///".count)))
  }
}

@_cdecl("goldfish_plugin_entry")
public func goldfishPluginEntry(_ host: UnsafePointer<gf_host_api>?) -> UnsafeRawPointer? {
  Plugin.export(
    host, name: "example-swift-memory", version: "1.0.0",
    description: "Example Swift plugin: object storage in memory",
    services: [MemoryStorage.self])
}
