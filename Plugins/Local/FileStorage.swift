import Foundation
import PluginKit
import PluginSupport

/// `file` storage: objects are files under a root directory, named `file:///<root>/<key>`.
/// Writes are atomic (temp file + rename) and streamed.
final class FileStorage: LocalObjectStorage, @unchecked Sendable {
  static let serviceName = "file"
  static let capabilities = ObjectStorageCapabilities(schemes: ["file"], local: true, hash: "sha256").json

  /// The `file` section of goldfish.yaml: the one place its keys and defaults are written.
  struct Settings: Sendable {
    private struct Raw: Decodable {
      var root: String?
    }

    static let keys = ["root"]
    /// The root as configured, made absolute (before links are resolved).
    let root: String

    init(config: JSONValue, context: ServiceContext) throws(PluginError) {
      let raw = try FileStorage.decodeConfig(Raw.self, from: config)
      let base = context.projectRoot ?? FileManager.default.currentDirectoryPath
      if let root = raw.root {
        self.root = root.hasPrefix("/") ? root : base + "/" + root
      } else if let state = context.stateDir {
        root = state + "/storage"
      } else {
        throw PluginError(
          .invalidArgument,
          "file storage needs a root directory: set file.root in goldfish.yaml, e.g. root: ./artifacts",
          detail: ["key": "root"])
      }
    }

    var effective: JSONValue { ["root": .string(root)] }
  }

  static func checkConfig(_ config: JSONValue, context: ServiceContext) -> ConfigReport? {
    let unknown = ConfigReport.unknownKeys(in: config, allowed: Settings.keys)
    do {
      return ConfigReport(effective: try Settings(config: config, context: context).effective, problems: unknown)
    } catch {
      return ConfigReport(refused: error, problems: unknown)
    }
  }

  /// Stored objects are read-only: runs read their inputs through links to them, and an
  /// object changes only by being replaced whole.
  static let objectMode: mode_t = 0o444

  /// The resolved root, without a trailing slash; every object lives strictly below it.
  let root: String

  init(config: JSONValue, context: ServiceContext) throws(PluginError) {
    let settings = try Settings(config: config, context: context)
    PluginLog.settingsInEffect(Self.serviceName, settings.effective)
    let configured = settings.root
    try POSIXFile.makeDirectories(configured)
    guard let resolved = realpath(configured, nil) else {
      throw POSIXFile.error(errno, "cannot open the storage root", configured)
    }
    root = String(cString: resolved)
    free(resolved)
  }

  func uri(forKey key: String) throws(PluginError) -> String {
    try StorageKey.validate(key)
    return "file://" + root + "/" + key
  }

  func localPath(uri: String) throws(PluginError) -> String {
    try existingPath(uri)
  }

  /// The path a URI names, refused unless it is strictly below the root.
  private func resolve(_ uri: String) throws(PluginError) -> String {
    guard uri.hasPrefix("file://") else {
      throw PluginError(
        .invalidArgument, "\(uri) is not a file:// URI of this storage (root \(root))")
    }
    let path = String(uri.dropFirst("file://".count))
    guard path.hasPrefix(root + "/") else {
      throw PluginError(.invalidArgument, "\(uri) is outside this storage's root \(root)")
    }
    try StorageKey.validate(String(path.dropFirst(root.count + 1)))
    try ensureNoSymlinkEscape(path)
    return path
  }

  func putFile(uri: String, path: String, contentType: String?) throws(PluginError) -> ObjectInfo {
    let destination = try resolve(uri)
    // The kernel copies while another thread hashes what landed: the hash is of the stored bytes.
    let (size, digest) = try POSIXFile.atomicKernelCopy(from: path, to: destination, mode: Self.objectMode)
    return ObjectInfo(size: size, hash: ["sha256": digest])
  }

  func getFile(uri: String, path: String) throws(PluginError) -> Int64 {
    let source = try existingPath(uri)
    return try POSIXFile.atomicKernelCopy(from: source, to: path, hashing: false).size
  }

  func putBytes(
    uri: String, data: UnsafeRawBufferPointer, contentType: String?
  )
    throws(PluginError) -> ObjectInfo
  {
    let destination = try resolve(uri)
    try POSIXFile.atomicWrite(to: destination, mode: Self.objectMode) { (fd: Int32) throws(PluginError) in
      try POSIXFile.writeAll(fd, data, destination)
    }
    var hasher = SHA256Hasher()
    hasher.update(data)
    return ObjectInfo(size: Int64(data.count), hash: ["sha256": hasher.finalizeHex()])
  }

  func getBytes(uri: String, maxBytes: Int) throws(PluginError) -> [UInt8] {
    let source = try existingPath(uri)
    let info = try stat(uri: uri)
    guard info.size <= maxBytes else {
      throw PluginError(
        .invalidArgument,
        "\(uri) is \(info.size) bytes, more than max_bytes \(maxBytes); use get_file for large objects")
    }
    guard let handle = FileHandle(forReadingAtPath: source) else {
      throw POSIXFile.error(errno, "cannot read", source)
    }
    defer { try? handle.close() }
    do {
      return [UInt8](try handle.readToEnd() ?? Data())
    } catch {
      throw PluginError(.io, "cannot read \(source): \(error.localizedDescription)")
    }
  }

  func stat(uri: String) throws(PluginError) -> ObjectInfo {
    let path = try existingPath(uri)
    let (size, digest) = try POSIXFile.sha256(of: path)
    let modified = POSIXFile.fileInfo(path).map { Double($0.st_mtim.tv_sec) } ?? 0
    let updated = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: modified))
    return ObjectInfo(size: size, hash: ["sha256": digest], updatedAt: updated)
  }

  func exists(uri: String) throws(PluginError) -> Bool {
    let path = try resolve(uri)
    guard let info = POSIXFile.fileInfo(path) else { return false }
    return (info.st_mode & S_IFMT) == S_IFREG
  }

  func list(prefix: String, pageToken: String?, pageSize: Int) throws(PluginError) -> ObjectListing {
    let rootURI = "file://" + root + "/"
    guard prefix.hasPrefix(rootURI) || rootURI.hasPrefix(prefix) else {
      throw PluginError(.invalidArgument, "list prefix \(prefix) is outside this storage's root \(root)")
    }
    // Walk only the deepest directory the prefix names, not the whole root.
    let keyPrefix = prefix.count > rootURI.count ? String(prefix.dropFirst(rootURI.count)) : ""
    let directory = keyPrefix.contains("/") ? String(keyPrefix[..<keyPrefix.lastIndex(of: "/")!]) : ""
    var keys: [String] = []
    collect(directory: directory, into: &keys)
    let uris = keys.map { rootURI + $0 }.filter { $0.hasPrefix(prefix) }.sorted {
      $0.utf8.lexicographicallyPrecedes($1.utf8)
    }
    let start =
      pageToken.map { token in
        uris.firstIndex { !$0.utf8.lexicographicallyPrecedes(token.utf8) && $0 != token } ?? uris.count
      } ?? 0
    let page = Array(uris[start..<min(uris.count, start + pageSize)])
    let entries = page.map { uri in
      ObjectListing.Entry(
        uri: uri, size: POSIXFile.fileInfo(String(uri.dropFirst("file://".count))).map { Int64($0.st_size) })
    }
    let more = start + pageSize < uris.count
    return ObjectListing(objects: entries, nextPageToken: more ? page.last : nil)
  }

  func delete(uri: String) throws(PluginError) -> Bool {
    let path = try resolve(uri)
    if unlink(path) == 0 {
      removeEmptyParents(of: path)
      return true
    }
    if errno == ENOENT { return false }
    throw POSIXFile.error(errno, "cannot delete", path)
  }

  private func existingPath(_ uri: String) throws(PluginError) -> String {
    let path = try resolve(uri)
    guard let info = POSIXFile.fileInfo(path), (info.st_mode & S_IFMT) == S_IFREG else {
      throw PluginError(.notFound, "object \(uri) does not exist", detail: ["uri": .string(uri)])
    }
    return path
  }

  private func collect(directory: String, into keys: inout [String]) {
    let path = directory.isEmpty ? root : root + "/" + directory
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: path) else { return }
    for name in entries where !name.hasPrefix(".gf-tmp-") {
      let key = directory.isEmpty ? name : directory + "/" + name
      guard let info = POSIXFile.fileInfo(root + "/" + key) else { continue }
      switch info.st_mode & S_IFMT {
      case S_IFDIR: collect(directory: key, into: &keys)
      case S_IFREG: keys.append(key)
      default: continue
      }
    }
  }

  /// A symlinked directory inside the root must not lead an object outside it.
  private func ensureNoSymlinkEscape(_ path: String) throws(PluginError) {
    var ancestor = POSIXFile.parent(of: path)
    while ancestor.count > root.count && !POSIXFile.isDirectory(ancestor) {
      ancestor = POSIXFile.parent(of: ancestor)
    }
    guard let resolved = realpath(ancestor, nil) else { return }
    defer { free(resolved) }
    let real = String(cString: resolved)
    guard real == root || real.hasPrefix(root + "/") else {
      throw PluginError(.permissionDenied, "\(path) leads outside the storage root through a symlink")
    }
    if let info = POSIXFile.fileInfo(path), (info.st_mode & S_IFMT) == S_IFLNK {
      throw PluginError(.permissionDenied, "\(path) is a symlink; the storage refuses to follow it")
    }
  }

  private func removeEmptyParents(of path: String) {
    var directory = POSIXFile.parent(of: path)
    while directory.count > root.count && rmdir(directory) == 0 {
      directory = POSIXFile.parent(of: directory)
    }
  }
}
