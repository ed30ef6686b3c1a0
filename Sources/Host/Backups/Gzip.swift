import CZlib
import Foundation
import PluginKit

/// gzip files through zlib (Foundation on Linux compresses nothing). Streams in 1 MiB blocks,
/// so a large database never sits in memory.
enum Gzip {
  private static let blockSize = 1 << 20

  static func compress(_ source: String, to destination: String) throws(GoldfishError) {
    guard let input = fopen(source, "rb") else { throw failure("cannot read \(source)") }
    defer { fclose(input) }
    guard let output = gzopen(destination, "wb6") else { throw failure("cannot write \(destination)") }
    var buffer = [UInt8](repeating: 0, count: blockSize)
    var failed: String?
    while failed == nil {
      let count = buffer.withUnsafeMutableBytes { fread($0.baseAddress, 1, blockSize, input) }
      if count == 0 {
        if ferror(input) != 0 { failed = "cannot read \(source)" }
        break
      }
      let written = buffer.withUnsafeBytes { gzwrite(output, $0.baseAddress, UInt32(count)) }
      if written != Int32(count) { failed = "cannot write \(destination)" }
    }
    let closed = gzclose(output)
    if let failed { throw failure(failed) }
    guard closed == Z_OK else { throw failure("cannot finish \(destination)") }
  }

  static func decompress(_ source: String, to destination: String) throws(GoldfishError) {
    guard let input = gzopen(source, "rb") else { throw failure("cannot read \(source)") }
    defer { gzclose(input) }
    guard let output = fopen(destination, "wb") else { throw failure("cannot write \(destination)") }
    var buffer = [UInt8](repeating: 0, count: blockSize)
    var failed: String?
    while true {
      let count = buffer.withUnsafeMutableBytes { gzread(input, $0.baseAddress, UInt32(blockSize)) }
      if count < 0 {
        failed = "\(source) is not a complete gzip file"
        break
      }
      if count == 0 { break }
      let written = buffer.withUnsafeBytes { fwrite($0.baseAddress, 1, Int(count), output) }
      if written != Int(count) {
        failed = "cannot write \(destination)"
        break
      }
    }
    let closed = fclose(output)
    if let failed { throw failure(failed) }
    guard closed == 0 else { throw failure("cannot finish \(destination)") }
  }

  private static func failure(_ message: String) -> GoldfishError {
    GoldfishError(.ioFailed, message + (errno != 0 ? ": \(String(cString: strerror(errno)))" : ""))
  }
}
