import Foundation
import PluginKit
import PluginSupport
import Testing

@testable import GoldfishTestSupport
@testable import Host

@Suite("gcs storage on gcp-storage-emulator", .enabled(if: GCSSupport.available), .serialized)
struct GCSStorageTests {
  @Test("goldfish plugins check passes")
  func conformance() throws {
    try GCSSupport.ensureBucket()
    let config = #"{"bucket": "\#(GCSSupport.bucket)", "prefix": "check", "chunk_size_mb": 0.25}"#
    let result = Command.goldfish(
      ["plugins", "check", TestEnvironment.plugin("GoldfishGCS"), "--config", config],
      environment: ["STORAGE_EMULATOR_HOST": GCSSupport.emulator ?? ""])
    #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    #expect(result.stdout.contains("PASS  round trip: 64 MiB"))
  }

  @Test(
    "objects around the chunk size round trip with the stored CRC32C",
    arguments: [
      0, 1, GCSSupport.chunk - 1, GCSSupport.chunk, GCSSupport.chunk + 1, 3 * GCSSupport.chunk + 5,
    ])
  func boundaries(size: Int) throws {
    let storage = try GCSSupport.open()
    let folder = TestEnvironment.temporaryFolder("gcs-sizes")
    try GCSSupport.write(folder + "/in", size: size)
    let uri = try GCSSupport.uri(storage, "sizes/\(size)")
    let put = try storage.call("put_file", ["uri": .string(uri), "path": .string(folder + "/in")])
    #expect(put["size"]?.intValue == Int64(size))
    let got = try storage.call("get_file", ["uri": .string(uri), "path": .string(folder + "/out")])
    #expect(got["size"]?.intValue == Int64(size))
    let original = try Data(contentsOf: URL(fileURLWithPath: folder + "/in"))
    #expect(try Data(contentsOf: URL(fileURLWithPath: folder + "/out")) == original)
    var crc = CRC32C()
    crc.update([UInt8](original))
    #expect(try storage.call("stat", ["uri": .string(uri)])["hash"]?["crc32c"]?.stringValue == crc.base64)
  }

  @Test("a resumable upload whose connection drops mid-chunk resumes and completes")
  func interruptedUpload() throws {
    let proxy = try FaultProxy("drop-upload")
    let storage = try GCSSupport.open(endpoint: proxy.endpoint)
    let folder = TestEnvironment.temporaryFolder("gcs-drop-up")
    let size = 4 * GCSSupport.chunk + 123
    try GCSSupport.write(folder + "/in", size: size, seed: 3)
    let uri = try GCSSupport.uri(storage, "dropped/upload")
    let put = try storage.call("put_file", ["uri": .string(uri), "path": .string(folder + "/in")])
    #expect(put["size"]?.intValue == Int64(size))
    // Read back straight from the emulator: the object is whole, not just "accepted".
    let direct = try GCSSupport.open()
    _ = try direct.call("get_file", ["uri": .string(uri), "path": .string(folder + "/out")])
    #expect(
      try Data(contentsOf: URL(fileURLWithPath: folder + "/out"))
        == Data(contentsOf: URL(fileURLWithPath: folder + "/in")))
  }

  @Test("a download whose connection drops resumes with a Range request")
  func interruptedDownload() throws {
    let direct = try GCSSupport.open()
    let folder = TestEnvironment.temporaryFolder("gcs-drop-down")
    try GCSSupport.write(folder + "/in", size: 777_777, seed: 5)
    let uri = try GCSSupport.uri(direct, "dropped/download")
    _ = try direct.call("put_file", ["uri": .string(uri), "path": .string(folder + "/in")])
    let proxy = try FaultProxy("drop-download")
    let storage = try GCSSupport.open(endpoint: proxy.endpoint)
    let got = try storage.call("get_file", ["uri": .string(uri), "path": .string(folder + "/out")])
    #expect(got["size"]?.intValue == 777_777)
    #expect(
      try Data(contentsOf: URL(fileURLWithPath: folder + "/out"))
        == Data(contentsOf: URL(fileURLWithPath: folder + "/in")))
  }

  @Test("a download that stalls mid-body counts as dropped after stall_seconds and resumes")
  func stalledDownload() throws {
    let direct = try GCSSupport.open()
    let folder = TestEnvironment.temporaryFolder("gcs-stall")
    try GCSSupport.write(folder + "/in", size: 300_000, seed: 9)
    let uri = try GCSSupport.uri(direct, "stalled/download")
    _ = try direct.call("put_file", ["uri": .string(uri), "path": .string(folder + "/in")])
    let proxy = try FaultProxy("stall-download")
    let storage = try GCSSupport.open(endpoint: proxy.endpoint, ["stall_seconds": 1])
    let started = Date()
    _ = try storage.call("get_file", ["uri": .string(uri), "path": .string(folder + "/out")])
    // The proxy stays silent for 30 s: finishing well before that means the stall was noticed.
    #expect(Date().timeIntervalSince(started) < 20, "the stall was not noticed")
    #expect(
      try Data(contentsOf: URL(fileURLWithPath: folder + "/out"))
        == Data(contentsOf: URL(fileURLWithPath: folder + "/in")))
  }

  @Test("a download with a flipped byte fails as corrupted and leaves no file")
  func corruptedDownload() throws {
    let direct = try GCSSupport.open()
    let folder = TestEnvironment.temporaryFolder("gcs-flip")
    try GCSSupport.write(folder + "/in", size: 100_000)
    let uri = try GCSSupport.uri(direct, "flipped")
    _ = try direct.call("put_file", ["uri": .string(uri), "path": .string(folder + "/in")])
    let proxy = try FaultProxy("flip-download")
    let storage = try GCSSupport.open(endpoint: proxy.endpoint)
    do {
      _ = try storage.call("get_file", ["uri": .string(uri), "path": .string(folder + "/out")])
      Issue.record("a corrupted download succeeded")
    } catch {
      #expect(error.error.code == .io)
      #expect(error.error.message.contains("corrupted"), "\(error)")
    }
    #expect(!FileManager.default.fileExists(atPath: folder + "/out"))
    do {
      _ = try storage.getBytes(["uri": .string(uri), "max_bytes": 1_000_000])
      Issue.record("a corrupted get_bytes succeeded")
    } catch {
      #expect(error.error.message.contains("corrupted"), "\(error)")
    }
  }

  @Test("a storm of 503s is retried with backoff until the upload succeeds")
  func serviceUnavailableStorm() throws {
    let proxy = try FaultProxy("status-503", count: 5)
    let storage = try GCSSupport.open(endpoint: proxy.endpoint)
    let uri = try GCSSupport.uri(storage, "storm")
    _ = try storage.putBytes(["uri": .string(uri)], Array("after the storm".utf8))
    #expect(try storage.getBytes(["uri": .string(uri)]) == Array("after the storm".utf8))
  }

  @Test("503s beyond the retry budget fail as retryable unavailable")
  func retryBudget() throws {
    let proxy = try FaultProxy("status-503", count: 1000)
    let storage = try GCSSupport.open(endpoint: proxy.endpoint, ["retry_max_attempts": 3])
    let uri = try GCSSupport.uri(storage, "x")
    do {
      _ = try storage.call("stat", ["uri": .string(uri)])
      Issue.record("stat succeeded through a proxy that only answers 503")
    } catch {
      #expect(error.error.code == .unavailable)
      #expect(error.error.retryable)
      #expect(error.error.message.contains("after 3 attempts"), "\(error)")
    }
  }

  @Test("a 403 fails at once, not retryable, with a clear message")
  func forbidden() throws {
    let proxy = try FaultProxy("status-403")
    let storage = try GCSSupport.open(endpoint: proxy.endpoint, ["retry_base_ms": 2000])
    let uri = try GCSSupport.uri(storage, "denied")
    let started = Date()
    do {
      _ = try storage.putBytes(["uri": .string(uri)], [1, 2, 3])
      Issue.record("an upload succeeded through a proxy that only answers 403")
    } catch {
      #expect(error.error.code == .permissionDenied)
      #expect(!error.error.retryable)
      #expect(error.error.message.contains("HTTP 403"), "\(error)")
      #expect(error.error.message.contains("lack permission"), "\(error)")
    }
    #expect(Date().timeIntervalSince(started) < 1.5, "a 403 was retried")
  }

  @Test("URIs of another bucket are refused; the prefix applies to uri_for")
  func uris() throws {
    let storage = try GCSSupport.open(["prefix": "goldfish"])
    #expect(try GCSSupport.uri(storage, "runs/a.txt") == "gs://\(GCSSupport.bucket)/goldfish/runs/a.txt")
    #expect(throws: PluginCallError.self) { try storage.call("stat", ["uri": "gs://another-bucket/x"]) }
    let kinds = try GCSSupport.open(["prefix": "goldfish", "runs_prefix": "all-runs"])
    #expect(try GCSSupport.uri(kinds, "runs/r1/out.npy") == "gs://\(GCSSupport.bucket)/goldfish/all-runs/r1/out.npy")
    #expect(try GCSSupport.uri(kinds, "datasets/d.csv") == "gs://\(GCSSupport.bucket)/goldfish/datasets/d.csv")
  }
}
