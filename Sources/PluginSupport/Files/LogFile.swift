import PluginKit

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Reads a growing log file by byte offset or by trailing lines, without loading it whole.
public enum LogFile {
  public static let defaultMaxBytes = 64 << 10
  public static let maxMaxBytes = 4 << 20
  static let tailWindow = 1 << 20

  /// Bytes from `request.offset` (or the last `request.tail` lines). `finished` says the
  /// writer is done, so reaching the end means the log is complete.
  public static func read(
    path: String, request: LogRequest, finished: Bool
  ) throws(PluginError)
    -> LogChunk
  {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 {
      if errno == ENOENT { return LogChunk(text: "", nextOffset: request.offset ?? 0, complete: finished) }
      throw POSIXFile.error(errno, "cannot read the log", path)
    }
    defer { close(fd) }
    var info = stat()
    fstat(fd, &info)
    let size = Int64(info.st_size)
    if let tail = request.tail {
      guard tail > 0 else { throw PluginError(.invalidArgument, "tail must be at least 1, got \(tail)") }
      let start = max(0, size - Int64(tailWindow))
      let bytes = try readRange(fd, from: start, count: Int(size - start), path: path)
      var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map { Array($0) }
      if lines.last?.isEmpty == true { lines.removeLast() }
      let text = lines.suffix(tail).map { String(decoding: $0, as: UTF8.self) }.joined(separator: "\n")
      return LogChunk(text: text.isEmpty ? "" : text + "\n", nextOffset: size, complete: finished)
    }
    let offset = request.offset ?? 0
    guard offset >= 0 else { throw PluginError(.invalidArgument, "offset must not be negative, got \(offset)") }
    // At least 4 bytes so one whole UTF-8 character always fits.
    let limit = min(max(request.maxBytes ?? defaultMaxBytes, 4), maxMaxBytes)
    let count = Int(max(0, min(Int64(limit), size - offset)))
    var bytes = try readRange(fd, from: offset, count: count, path: path)
    // Never cut a UTF-8 sequence in two: stop before an incomplete trailing character.
    if offset + Int64(count) < size { bytes = trimIncompleteUTF8(bytes) }
    let next = offset + Int64(bytes.count)
    return LogChunk(
      text: String(decoding: bytes, as: UTF8.self), nextOffset: next, complete: finished && next >= size)
  }

  private static func readRange(
    _ fd: Int32, from offset: Int64, count: Int, path: String
  )
    throws(PluginError) -> [UInt8]
  {
    guard count > 0 else { return [] }
    var buffer = [UInt8](repeating: 0, count: count)
    var done = 0
    while done < count {
      let got = buffer.withUnsafeMutableBytes {
        pread(fd, $0.baseAddress! + done, count - done, off_t(offset) + off_t(done))
      }
      if got < 0 {
        if errno == EINTR { continue }
        throw POSIXFile.error(errno, "cannot read the log", path)
      }
      if got == 0 { break }
      done += got
    }
    return Array(buffer[0..<done])
  }

  static func trimIncompleteUTF8(_ bytes: [UInt8]) -> [UInt8] {
    var index = bytes.count - 1
    var continuation = 0
    while index >= 0 && continuation < 3 && (bytes[index] & 0xC0) == 0x80 {
      index -= 1
      continuation += 1
    }
    guard index >= 0 else { return bytes }
    let lead = bytes[index]
    let needed = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1
    return needed > continuation + 1 ? Array(bytes[0..<index]) : bytes
  }
}
