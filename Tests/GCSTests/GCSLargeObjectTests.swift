import Foundation
import PluginKit
import PluginSupport
import Testing

@testable import GoldfishTestSupport
@testable import Host

@Suite("gcs storage: a 256 MiB object", .enabled(if: GCSSupport.available))
struct GCSLargeObjectTests {
  /// Default 8 MiB chunks: 32 resumable PUTs up, one streamed GET down, CRC32C both ways.
  @Test("round trips through put_file/get_file")
  func roundTrip() throws {
    let storage = try GCSSupport.open(["chunk_size_mb": 8])
    let folder = TestEnvironment.temporaryFolder("gcs-large")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let size = 256 << 20
    try GCSSupport.write(folder + "/in", size: size, seed: 11)
    let uri = try GCSSupport.uri(storage, "large/256mib")
    GCSSupport.resetPeakMemory()
    let baseline = GCSSupport.currentMemory()
    let started = Date()
    let put = try storage.call("put_file", ["uri": .string(uri), "path": .string(folder + "/in")])
    let got = try storage.call("get_file", ["uri": .string(uri), "path": .string(folder + "/out")])
    let seconds = Date().timeIntervalSince(started)
    // Flat memory: a few chunks and buffers, never the object (other suites run alongside,
    // so the bound is loose; a buffered object would add 256 MiB).
    let growth = GCSSupport.peakMemory() - baseline
    #expect(growth < 128 << 20, "peak memory grew by \(growth >> 20) MiB during a 256 MiB round trip")
    #expect(put["size"]?.intValue == Int64(size) && got["size"]?.intValue == Int64(size))
    #expect(try POSIXFile.sha256(of: folder + "/in").sha256 == POSIXFile.sha256(of: folder + "/out").sha256)
    #expect(seconds < 60, "256 MiB took \(seconds) s")
    _ = try storage.call("delete_object", ["uri": .string(uri)])
  }
}
