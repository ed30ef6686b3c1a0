import PluginKit

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A mailbox in a local folder (`file:///abs/path`): the local workers' mailbox, and the
/// store every test can run for real.
public struct FileMailboxStore: MailboxStore {
  public let rootURI: String
  public let root: String

  public init(uri: String) throws(PluginError) {
    guard uri.hasPrefix("file:///") else {
      throw PluginError(.invalidArgument, "a file mailbox URI looks like file:///abs/path, got \(uri.debugDescription)")
    }
    var path = String(uri.dropFirst("file://".count))
    while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
    guard !path.split(separator: "/").contains(where: { $0 == "." || $0 == ".." }) else {
      throw PluginError(.invalidArgument, "the mailbox path \(path) has a '.' or '..' segment")
    }
    self.root = path
    self.rootURI = "file://" + path
  }

  public init(root: String) throws(PluginError) {
    try self.init(uri: "file://" + root)
  }

  public func path(_ key: String) throws(PluginError) -> String {
    try StorageKey.validate(key)
    return root + "/" + key
  }

  public func get(_ key: String) throws(PluginError) -> [UInt8]? {
    let path = try path(key)
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 {
      if errno == ENOENT || errno == ENOTDIR { return nil }
      throw POSIXFile.error(errno, "cannot read", path)
    }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 64 << 10)
    while true {
      let count = read(fd, &buffer, buffer.count)
      if count < 0 {
        if errno == EINTR { continue }
        throw POSIXFile.error(errno, "cannot read", path)
      }
      if count == 0 { break }
      bytes += buffer[0..<count]
    }
    return bytes
  }

  public func put(_ key: String, _ bytes: [UInt8]) throws(PluginError) {
    let path = try path(key)
    try POSIXFile.atomicWrite(to: path, mode: 0o644) { (fd: Int32) throws(PluginError) in
      try POSIXFile.writeAll(fd, bytes, path)
    }
  }

  public func delete(_ key: String) throws(PluginError) {
    let path = try path(key)
    if unlink(path) != 0 && errno != ENOENT && errno != ENOTDIR {
      throw POSIXFile.error(errno, "cannot delete", path)
    }
  }

  public func list(_ folder: String) throws(PluginError) -> [String] {
    try StorageKey.validate(folder)
    var keys: [String] = []
    try collect(folder, into: &keys)
    return keys.sorted()
  }

  private func collect(_ folder: String, into keys: inout [String]) throws(PluginError) {
    let path = root + "/" + folder
    guard let dir = opendir(path) else {
      if errno == ENOENT || errno == ENOTDIR { return }
      throw POSIXFile.error(errno, "cannot list", path)
    }
    defer { closedir(dir) }
    while let entry = readdir(dir) {
      let name = withUnsafePointer(to: entry.pointee.d_name) {
        $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
      }
      // Temp files of a write in progress (.gf-tmp-*) are not objects yet.
      if name == "." || name == ".." || name.hasPrefix(".gf-tmp-") { continue }
      let key = folder + "/" + name
      if POSIXFile.isDirectory(root + "/" + key) {
        try collect(key, into: &keys)
      } else {
        keys.append(key)
      }
    }
  }

  public func putFile(_ key: String, from path: String) throws(PluginError) {
    try POSIXFile.atomicCopy(from: path, to: try self.path(key), mode: 0o644)
  }

  public func getFile(_ key: String, to path: String) throws(PluginError) {
    try POSIXFile.atomicCopy(from: try self.path(key), to: path, mode: 0o644)
  }

  public func localPath(_ key: String) throws(PluginError) -> String? {
    try path(key)
  }
}
