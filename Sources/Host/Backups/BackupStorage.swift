import Foundation
import PluginKit

/// The project's object storage as backups use it: whole files under `backups/`, through the
/// ObjectStorage plugin goldfish.yaml selects (`file`, `gcs` or a third party's).
struct BackupStorage {
  static let prefix = "backups/"
  let client: ObjectStorageClient

  init(plugins: PluginHost) throws(GoldfishError) {
    client = ObjectStorageClient(try plugins.openSelected(.objectStorage))
  }

  func uri(_ key: String) throws(GoldfishError) -> String {
    do { return try client.uriFor(key: key) } catch {
      throw ExecutionServices.failure(error, while: "naming \(key) in the storage \(client.name)")
    }
  }

  func put(_ path: String, key: String) throws(GoldfishError) {
    let target = try uri(key)
    do { _ = try client.putFile(uri: target, path: path) } catch {
      throw ExecutionServices.failure(error, while: "writing \(target)")
    }
  }

  /// Downloads `key` to `path`; false when the storage has no such object.
  func get(_ key: String, to path: String) throws(GoldfishError) -> Bool {
    let source = try uri(key)
    do {
      guard try client.exists(ObjectURIRequest(uri: source)).exists else { return false }
      _ = try client.getFile(uri: source, path: path)
      return true
    } catch {
      throw ExecutionServices.failure(error, while: "reading \(source)")
    }
  }

  func delete(_ key: String) throws(GoldfishError) {
    let target = try uri(key)
    do { _ = try client.delete(ObjectURIRequest(uri: target)) } catch {
      if error.error.code == .notFound { return }
      throw ExecutionServices.failure(error, while: "deleting \(target)")
    }
  }

  func readManifest(scratch: String) throws(GoldfishError) -> BackupManifest? {
    let path = scratch + "/manifest.json"
    guard try get(BackupManifest.key, to: path) else { return nil }
    defer { try? FileManager.default.removeItem(atPath: path) }
    guard let data = FileManager.default.contents(atPath: path) else { return nil }
    do { return try JSONCoding.decoder().decode(BackupManifest.self, from: data) } catch {
      throw GoldfishError(
        .backupInvalid, "\(try uri(BackupManifest.key)) is not a backup manifest: \(error)",
        hint: "move it aside; the next backup writes a new one")
    }
  }

  func writeManifest(_ manifest: BackupManifest, scratch: String) throws(GoldfishError) {
    let path = scratch + "/manifest.json"
    defer { try? FileManager.default.removeItem(atPath: path) }
    do {
      let encoder = JSONCoding.encoder()
      encoder.outputFormatting.insert(.prettyPrinted)
      try encoder.encode(manifest).write(to: URL(fileURLWithPath: path))
    } catch {
      throw GoldfishError(.ioFailed, "cannot write the backup manifest \(path): \(error)")
    }
    try put(path, key: BackupManifest.key)
  }

  /// Where backups go, as the storage names it (`gs://bucket/prefix/backups/`); nil when it cannot say.
  var prefixURI: String? {
    guard let manifest = try? uri(BackupManifest.key) else { return nil }
    return String(manifest.dropLast("manifest.json".count))
  }

  /// Whether the storage keeps its objects inside `directory` (the default `file` storage lives
  /// in `.goldfish/storage`): backups there are lost with the data they protect.
  func isInside(_ directory: String) -> Bool {
    guard let root = prefixURI, root.hasPrefix("file://") else { return false }
    let resolved = URL(fileURLWithPath: directory).resolvingSymlinksInPath().path
    let path = String(root.dropFirst("file://".count))
    return path.hasPrefix(resolved + "/") || path.hasPrefix(directory + "/")
  }
}
