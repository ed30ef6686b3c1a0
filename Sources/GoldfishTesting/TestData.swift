import Foundation
import Host

/// Deterministic test files, written and compared in chunks so 64 MiB stays cheap.
enum TestData {
  static func write(path: String, size: Int, binary: Bool) throws {
    _ = FileManager.default.createFile(atPath: path, contents: nil)
    guard let handle = FileHandle(forWritingAtPath: path) else {
      throw CheckFailure("cannot create the test file \(path)")
    }
    defer { try? handle.close() }
    // One pseudo-random megabyte, stamped with its chunk number so chunks differ.
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    var base = [UInt8](repeating: 0, count: min(size, 1 << 20))
    for index in base.indices {
      if binary {
        base[index] = UInt8(truncatingIfNeeded: index)
      } else {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        base[index] = UInt8(truncatingIfNeeded: state >> 33)
      }
    }
    var remaining = size
    var chunkNumber: UInt64 = 0
    while remaining > 0 {
      let count = min(remaining, base.count)
      var chunk = Array(base[0..<count])
      if !binary && count >= 8 {
        withUnsafeBytes(of: chunkNumber) { stamp in chunk.replaceSubrange(0..<8, with: stamp) }
      }
      try handle.write(contentsOf: chunk)
      remaining -= count
      chunkNumber += 1
    }
  }

  /// nil when both files hold the same bytes, otherwise where they first differ.
  static func firstDifference(_ a: String, _ b: String) -> String? {
    guard let left = FileHandle(forReadingAtPath: a), let right = FileHandle(forReadingAtPath: b) else {
      return "\(b) was not written"
    }
    defer {
      try? left.close()
      try? right.close()
    }
    var offset = 0
    while true {
      let x = (try? left.read(upToCount: 1 << 20)) ?? nil ?? Data()
      let y = (try? right.read(upToCount: 1 << 20)) ?? nil ?? Data()
      if x != y {
        let index = zip(x, y).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(x.count, y.count)
        return
          "first difference at byte \(offset + index) (written \(offset + x.count)+ bytes, read \(offset + y.count)+)"
      }
      if x.isEmpty { return nil }
      offset += x.count
    }
  }
}
