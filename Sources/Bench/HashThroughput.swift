import Foundation
import Host
import PluginKit
import PluginSupport

/// MiB/s of the two checksums every stored byte passes through (SHA-256 for content hashes,
/// CRC32C for Cloud Storage), over one in-memory buffer, against memcpy of the same buffer.
func hashThroughput(_ arguments: [String]) throws {
  let mebibytes = option("--mib", in: arguments).flatMap(Int.init) ?? 256
  let size = mebibytes << 20
  var source = [UInt8](repeating: 0, count: size)
  for index in stride(from: 0, to: size, by: 4096) { source[index] = UInt8(truncatingIfNeeded: index >> 12) }
  var target = [UInt8](repeating: 0, count: size)

  func rate(_ body: () -> Int) -> (Double, Int) {
    _ = body()
    var best = Double.infinity
    var checksum = 0
    for _ in 0..<3 {
      let start = DispatchTime.now().uptimeNanoseconds
      checksum &+= body()
      best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start))
    }
    return (Double(mebibytes) / (best / 1e9), checksum)
  }
  let (sha, shaSum) = rate {
    var hasher = SHA256Hasher()
    source.withUnsafeBytes { hasher.update($0) }
    return hasher.finalizeHex().utf8.count
  }
  let (crc, crcSum) = rate {
    var crc = CRC32C()
    source.withUnsafeBytes { crc.update($0) }
    return Int(crc.value & 0xFF)
  }
  let (copy, copySum) = rate {
    target.withUnsafeMutableBytes { to in
      source.withUnsafeBytes { from in _ = memcpy(to.baseAddress!, from.baseAddress!, size) }
    }
    return Int(target[size - 1])
  }
  let result: JSONValue = [
    "mib": .int(Int64(mebibytes)), "sha256_mib_s": .double(sha), "crc32c_mib_s": .double(crc),
    "memcpy_mib_s": .double(copy), "checksum": .int(Int64(shaSum &+ crcSum &+ copySum)),
  ]
  StdoutGuard.write(try JSONCoding.encode(result) + "\n")
}
