import Foundation
import PluginKit

/// The job's output file, read by byte offset or by trailing lines while Slurm appends to it.
enum LogReader {
  static let defaultMaxBytes = 64 << 10
  static let maxMaxBytes = 4 << 20
  static let tailWindow: UInt64 = 1 << 20

  static func read(path: String, request: LogRequest, finished: Bool) throws(PluginError) -> LogChunk {
    guard let file = FileHandle(forReadingAtPath: path) else {
      // Slurm creates the file when the job starts: nothing yet.
      return LogChunk(text: "", nextOffset: request.offset ?? 0, complete: finished)
    }
    defer { try? file.close() }
    let size = (try? file.seekToEnd()) ?? 0
    if let tail = request.tail {
      guard tail > 0 else { throw PluginError(.invalidArgument, "tail must be at least 1, got \(tail)") }
      let start = size > tailWindow ? size - tailWindow : 0
      try? file.seek(toOffset: start)
      let bytes = [UInt8]((try? file.read(upToCount: Int(size - start))) ?? Data())
      var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
      if lines.last?.isEmpty == true { lines.removeLast() }
      let text = lines.suffix(tail).map { String(decoding: $0, as: UTF8.self) }.joined(separator: "\n")
      return LogChunk(text: text.isEmpty ? "" : text + "\n", nextOffset: Int64(size), complete: finished)
    }
    let offset = request.offset ?? 0
    guard offset >= 0 else { throw PluginError(.invalidArgument, "offset must not be negative, got \(offset)") }
    let limit = min(max(request.maxBytes ?? defaultMaxBytes, 4), maxMaxBytes)
    let count = Int(max(0, min(Int64(limit), Int64(size) - offset)))
    var bytes: [UInt8] = []
    if count > 0 {
      try? file.seek(toOffset: UInt64(offset))
      bytes = [UInt8]((try? file.read(upToCount: count)) ?? Data())
    }
    if offset + Int64(bytes.count) < Int64(size) { bytes = trimIncompleteCharacter(bytes) }
    let next = offset + Int64(bytes.count)
    return LogChunk(
      text: String(decoding: bytes, as: UTF8.self), nextOffset: next, complete: finished && next >= Int64(size))
  }

  /// Never cut a UTF-8 character in two: stop before an incomplete trailing sequence.
  static func trimIncompleteCharacter(_ bytes: [UInt8]) -> [UInt8] {
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
