import PluginKit
import PluginSupport
import Testing

@testable import GoldfishTestSupport

@Suite("CRC32C")
struct CRC32CTests {
  /// Vectors from RFC 3720 (iSCSI) appendix B.4 and the classic check value.
  @Test("known vectors")
  func vectors() {
    #expect(CRC32C.checksum([]) == 0)
    #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
    #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
    #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
    #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
    #expect(CRC32C.checksum((0..<32).map { UInt8(31 - $0) }) == 0x113F_DB5C)
  }

  @Test("the CPU instruction path and the table path agree at every length and alignment")
  func hardwareMatchesTables() {
    let data = (0..<4_133).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ $0 >> 5) }
    for start in 0..<9 {
      for length in [0, 1, 2, 7, 8, 9, 15, 16, 17, 63, 64, 65, 1_000, 4_096] where start + length <= data.count {
        let slice = Array(data[start..<(start + length)])
        #expect(CRC32C.checksum(slice) == CRC32C.tableChecksum(slice), "start \(start) length \(length)")
      }
    }
    #expect(CRC32C.tableChecksum(Array("123456789".utf8)) == 0xE306_9283)
  }

  @Test("base64 is the big-endian value, as Cloud Storage writes it")
  func base64() {
    var crc = CRC32C()
    crc.update(Array("123456789".utf8))
    #expect(crc.base64 == "4waSgw==")
    #expect(CRC32C().base64 == "AAAAAA==")
    #expect(Base64.encode(Array("fo".utf8)) == "Zm8=")
    #expect(Base64.encode(Array("foobar".utf8)) == "Zm9vYmFy")
  }

  @Test("any split of the input gives the same checksum as one update")
  func streaming() {
    let data = (0..<10_007).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
    let whole = CRC32C.checksum(data)
    for split in [1, 3, 7, 8, 9, 64, 4096, 10_006] {
      var crc = CRC32C()
      var start = 0
      while start < data.count {
        let end = min(data.count, start + split)
        crc.update(Array(data[start..<end]))
        start = end
      }
      #expect(crc.value == whole, "split \(split)")
    }
  }
}
