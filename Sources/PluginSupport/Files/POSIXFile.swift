import PluginKit

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Thin, errno-aware file primitives for plugins: streamed, never whole-file in memory.
public enum POSIXFile {
  public static let bufferSize = 1 << 20

  /// Maps an errno to the ABI error a user can act on.
  public static func error(_ code: Int32, _ action: String, _ path: String) -> PluginError {
    let reason = String(cString: strerror(code))
    switch code {
    case ENOENT: return PluginError(.notFound, "\(action) \(path): it does not exist")
    case EACCES, EPERM:
      return PluginError(.permissionDenied, "\(action) \(path): permission denied")
    case ENOSPC, EDQUOT:
      return PluginError(
        .io, "\(action) \(path): the disk is full; free space and retry",
        detail: ["errno": .int(Int64(code))])
    default:
      return PluginError(
        .io, "\(action) \(path): \(reason)", detail: ["errno": .int(Int64(code))])
    }
  }

  /// Streams `source` into a new file at `destination` atomically (temp file in the same
  /// directory, fsync, rename) and returns its size and SHA-256.
  @discardableResult
  public static func atomicCopy(
    from source: String, to destination: String, mode: mode_t = 0o666
  )
    throws(PluginError) -> (size: Int64, sha256: String)
  {
    let input = open(source, O_RDONLY | O_CLOEXEC)
    guard input >= 0 else { throw error(errno, "cannot read", source) }
    defer { close(input) }
    return try atomicWrite(to: destination, mode: mode) { (output: Int32) throws(PluginError) in
      try copyContents(input, source, to: output, destination)
    }
  }

  /// Copies what is left of `input` into `output` and returns its size and SHA-256, hashed on
  /// the way (the names are for error messages).
  public static func copyContents(
    _ input: Int32, _ source: String, to output: Int32, _ destination: String
  ) throws(PluginError) -> (size: Int64, sha256: String) {
    var hasher = SHA256Hasher()
    var total: Int64 = 0
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 16)
    defer { buffer.deallocate() }
    while true {
      let count = read(input, buffer.baseAddress, bufferSize)
      if count < 0 {
        if errno == EINTR { continue }
        throw error(errno, "cannot read", source)
      }
      if count == 0 { break }
      let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
      try writeAll(output, chunk, destination)
      hasher.update(chunk)
      total += Int64(count)
    }
    return (total, hasher.finalizeHex())
  }

  /// Writes through `body` into a temp file next to `destination`, then renames it into place.
  /// `mode` is narrowed by the umask, as for any new file.
  public static func atomicWrite<T>(
    to destination: String, mode: mode_t = 0o666, _ body: (Int32) throws(PluginError) -> T
  ) throws(PluginError) -> T {
    let directory = parent(of: destination)
    try makeDirectories(directory)
    var template = Array("\(directory)/.gf-tmp-XXXXXX".utf8CString)
    let output = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    guard output >= 0 else { throw error(errno, "cannot create a file in", directory) }
    let temporary = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    var committed = false
    defer {
      if !committed { unlink(temporary) }
    }
    let result: T
    do throws(PluginError) {
      result = try body(output)
      guard fsync(output) == 0 else { throw error(errno, "cannot write", destination) }
    } catch {
      close(output)
      throw error
    }
    guard close(output) == 0 else { throw error(errno, "cannot write", destination) }
    applyMode(temporary, mode)
    guard rename(temporary, destination) == 0 else {
      throw error(errno, "cannot move into place", destination)
    }
    committed = true
    return result
  }

  public static func writeAll(
    _ fd: Int32, _ bytes: UnsafeRawBufferPointer, _ path: String
  )
    throws(PluginError)
  {
    var offset = 0
    while offset < bytes.count {
      let written = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
      if written < 0 {
        if errno == EINTR { continue }
        throw error(errno, "cannot write", path)
      }
      offset += written
    }
  }

  public static func writeAll(_ fd: Int32, _ bytes: [UInt8], _ path: String) throws(PluginError) {
    let failure = bytes.withUnsafeBytes { buffer -> PluginError? in
      do throws(PluginError) {
        try writeAll(fd, buffer, path)
        return nil
      } catch { return error }
    }
    if let failure { throw failure }
  }

  /// Streams a file through SHA-256.
  public static func sha256(of path: String) throws(PluginError) -> (size: Int64, sha256: String) {
    let input = open(path, O_RDONLY | O_CLOEXEC)
    guard input >= 0 else { throw error(errno, "cannot read", path) }
    defer { close(input) }
    var hasher = SHA256Hasher()
    var total: Int64 = 0
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 16)
    defer { buffer.deallocate() }
    while true {
      let count = read(input, buffer.baseAddress, bufferSize)
      if count < 0 {
        if errno == EINTR { continue }
        throw error(errno, "cannot read", path)
      }
      if count == 0 { break }
      hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
      total += Int64(count)
    }
    return (total, hasher.finalizeHex())
  }

  public static func makeDirectories(_ path: String) throws(PluginError) {
    if path.isEmpty || isDirectory(path) { return }
    try makeDirectories(parent(of: path))
    if mkdir(path, 0o755) != 0 && errno != EEXIST {
      throw error(errno, "cannot create the directory", path)
    }
  }

  public static func isDirectory(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
  }

  public static func fileInfo(_ path: String) -> stat? {
    var info = stat()
    return lstat(path, &info) == 0 ? info : nil
  }

  public static func parent(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    return slash == path.startIndex ? "/" : String(path[..<slash])
  }

  /// mkstemp creates 0600 files; the file gets the mode it would have had if created plainly.
  private static func applyMode(_ path: String, _ mode: mode_t) {
    let mask = umask(0)
    umask(mask)
    chmod(path, mode & ~mask)
  }
}
