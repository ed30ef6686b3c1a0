import Foundation
import PluginKit

/// The small object store a warm worker and its backend talk through. Keys are relative to
/// the mailbox root and follow `StorageKey`. Kept small on purpose: a `file://` folder and a
/// `gs://bucket/prefix` both implement it in a few calls.
public protocol MailboxStore: Sendable {
  /// The mailbox root URI this store serves.
  var rootURI: String { get }
  /// The object's bytes, or nil when it does not exist.
  func get(_ key: String) throws(PluginError) -> [UInt8]?
  /// Creates or replaces the object; readers see the old or the new bytes, never a mix.
  func put(_ key: String, _ bytes: [UInt8]) throws(PluginError)
  /// Removes the object; succeeds when it does not exist.
  func delete(_ key: String) throws(PluginError)
  /// Keys of every object below `folder` (recursively), sorted.
  func list(_ folder: String) throws(PluginError) -> [String]
  /// Uploads a local file as the object.
  func putFile(_ key: String, from path: String) throws(PluginError)
  /// Downloads the object into a local file; throws `not_found` when it does not exist.
  func getFile(_ key: String, to path: String) throws(PluginError)
  /// Where the object lives on this machine, when the store is a local folder: a writer can
  /// then stream into it directly (logs). nil for remote stores.
  func localPath(_ key: String) throws(PluginError) -> String?
}

extension MailboxStore {
  /// The decoded object, or nil when it does not exist.
  public func getJSON<T: Decodable>(_ type: T.Type, _ key: String) throws(PluginError) -> T? {
    guard let bytes = try get(key) else { return nil }
    return try JSONCoding.decode(T.self, from: String(decoding: bytes, as: UTF8.self))
  }

  public func putJSON<T: Encodable>(_ key: String, _ value: T) throws(PluginError) {
    try put(key, Array(try JSONCoding.encode(value).utf8))
  }

  public func exists(_ key: String) throws(PluginError) -> Bool {
    try get(key) != nil
  }
}

/// Opens the store for a mailbox root URI. `file://` is built in; other schemes are added by
/// the library that can speak them (registered before the first `open`).
public enum MailboxStores {
  /// Gets the root URI and the store's options (`AgentConfig.mailbox_options`).
  public typealias Opener = @Sendable (String, [String: JSONValue]) throws(PluginError) -> any MailboxStore

  private static let registry = OpenerRegistry()

  public static func register(scheme: String, _ opener: @escaping Opener) {
    registry.set(scheme, opener)
  }

  public static func open(_ uri: String, options: [String: JSONValue] = [:]) throws(PluginError) -> any MailboxStore {
    if uri.hasPrefix("file://") { return try FileMailboxStore(uri: uri) }
    if let colon = uri.range(of: "://"), let opener = registry.get(String(uri[..<colon.lowerBound])) {
      return try opener(uri, options)
    }
    throw PluginError(
      .unsupported, "no mailbox store for \(uri.debugDescription); this build supports file:// mailboxes",
      detail: ["uri": .string(uri)])
  }
}

private final class OpenerRegistry: @unchecked Sendable {
  private let lock = NSLock()
  private var openers: [String: MailboxStores.Opener] = [:]

  func set(_ scheme: String, _ opener: @escaping MailboxStores.Opener) {
    lock.withLock { openers[scheme] = opener }
  }

  func get(_ scheme: String) -> MailboxStores.Opener? {
    lock.withLock { openers[scheme] }
  }
}
