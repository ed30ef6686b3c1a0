import PluginKit
import PluginSupport

#if canImport(Glibc)
  import Glibc
#endif

/// What an upload reads from: a file or bytes in memory, handed out as slices so a chunk
/// can be sent again after a dropped connection without holding the object in memory.
public struct UploadSource: Sendable {
  public let size: Int64
  public let describe: String
  private let file: SharedFile?
  private let bytes: [UInt8]

  public static func file(_ path: String) throws(PluginError) -> UploadSource {
    let shared = try SharedFile(path: path)
    return UploadSource(size: shared.size, describe: path, file: shared, bytes: [])
  }

  public static func memory(_ bytes: [UInt8]) -> UploadSource {
    UploadSource(size: Int64(bytes.count), describe: "\(bytes.count) bytes", file: nil, bytes: bytes)
  }

  /// A request body of `length` bytes starting at `offset`, sent with Content-Length.
  public func body(offset: Int64, length: Int64) -> HTTPRequest.Body {
    if let file {
      let cursor = SliceCursor(file: file, offset: offset, remaining: length)
      return .sized(length) { (buffer) throws(PluginError) -> Int in try cursor.read(buffer) }
    }
    return .bytes(Array(bytes[Int(offset)..<Int(offset + length)]))
  }

  /// CRC32C of the whole source, computed in one streaming pass before the upload so the
  /// server can check it and the result can be compared with what it stored.
  public func crc32c() throws(PluginError) -> String {
    var crc = CRC32C()
    if let file {
      let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: POSIXFile.bufferSize, alignment: 16)
      defer { buffer.deallocate() }
      var offset: Int64 = 0
      while offset < size {
        let got = try file.read(into: buffer, at: offset)
        if got == 0 { break }
        crc.update(UnsafeRawBufferPointer(rebasing: buffer[0..<got]))
        offset += Int64(got)
      }
      guard offset == size else {
        throw PluginError(.io, "\(describe) changed size while it was being read (\(offset) of \(size) bytes)")
      }
    } else {
      crc.update(bytes)
    }
    return crc.base64
  }
}

/// A read-only file descriptor shared by the slices of one upload; closed with the last.
final class SharedFile: @unchecked Sendable {
  let path: String
  let fd: Int32
  let size: Int64

  init(path: String) throws(PluginError) {
    self.path = path
    fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw POSIXFile.error(errno, "cannot open", path) }
    var info = stat()
    fstat(fd, &info)
    guard (info.st_mode & S_IFMT) == S_IFREG else {
      close(fd)
      throw PluginError(.invalidArgument, "\(path) is not a regular file")
    }
    size = Int64(info.st_size)
  }

  deinit { close(fd) }

  /// pread: slices never share a file position, so a retried chunk cannot disturb another.
  func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(PluginError) -> Int {
    while true {
      let got = pread(fd, buffer.baseAddress, buffer.count, off_t(offset))
      if got >= 0 { return got }
      if errno != EINTR { throw POSIXFile.error(errno, "cannot read", path) }
    }
  }
}

/// One slice being sent: libcurl pulls it through `read` until `remaining` is 0.
final class SliceCursor: @unchecked Sendable {
  let file: SharedFile
  var offset: Int64
  var remaining: Int64

  init(file: SharedFile, offset: Int64, remaining: Int64) {
    self.file = file
    self.offset = offset
    self.remaining = remaining
  }

  func read(_ buffer: UnsafeMutableRawBufferPointer) throws(PluginError) -> Int {
    guard remaining > 0 else { return 0 }
    let want = Int(min(Int64(buffer.count), remaining))
    let got = try file.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]), at: offset)
    guard got > 0 else {
      throw PluginError(.io, "\(file.path) ended early: it changed while being uploaded")
    }
    offset += Int64(got)
    remaining -= Int64(got)
    return got
  }
}
