import Foundation
import PluginKit
import PluginSupport

@testable import Host

/// The gcp-storage-emulator scripts/test.sh starts (STORAGE_EMULATOR_HOST), the gcs storage
/// opened on it, and fault proxies in front of it. Tests that need the emulator are enabled
/// only when it is set; CI always starts it, so none of them is skipped there.
enum GCSSupport {
  static let emulator = ProcessInfo.processInfo.environment["STORAGE_EMULATOR_HOST"]
  static let available = emulator != nil
  static let bucket = ProcessInfo.processInfo.environment["GOLDFISH_GCS_BUCKET"] ?? "goldfish-test"
  /// Small chunks, so a few hundred kilobytes already take the resumable path.
  static let chunk = 256 * 1024

  static var emulatorPort: Int {
    Int(emulator?.split(separator: ":").last.map(String.init) ?? "") ?? 0
  }

  /// The bucket, created if this emulator does not have it yet (409 means it does).
  static func ensureBucket() throws {
    let request = try HTTPRequest.json(
      "POST", "http://127.0.0.1:\(emulatorPort)/storage/v1/b", ["name": .string(bucket)])
    _ = try HTTPClient().send(request)
  }

  /// The gcs storage of this build; `endpoint` overrides the emulator (a fault proxy).
  static func open(endpoint: String? = nil, _ extra: [String: JSONValue] = [:]) throws -> OpenedService {
    try ensureBucket()
    var config: [String: JSONValue] = [
      "bucket": .string(bucket), "prefix": .string("tests-" + UUID().uuidString.prefix(8).lowercased()),
      "endpoint": .string(endpoint ?? "http://127.0.0.1:\(emulatorPort)"), "chunk_size_mb": .double(0.25),
      "retry_base_ms": 10,
    ]
    for (key, value) in extra { config[key] = value }
    let registry = PluginRegistry.load([.init(path: TestEnvironment.plugin("GoldfishGCS"), origin: "test")])
    return try registry.open(.objectStorage, "gcs", config: .object(config))
  }

  static func uri(_ storage: OpenedService, _ key: String) throws -> String {
    try storage.call("uri_for", ["key": .string(key)])["uri"]?.stringValue ?? ""
  }

  /// Pseudo-random content written 1 MiB at a time, so large test files cost no memory.
  static func write(_ path: String, size: Int, seed: UInt8 = 7) throws {
    FileManager.default.createFile(atPath: path, contents: nil)
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    defer { try? handle.close() }
    var state = UInt32(seed) &* 2_654_435_761 | 1
    var written = 0
    while written < size {
      var block = [UInt8](repeating: 0, count: min(1 << 20, size - written))
      for index in block.indices {
        state ^= state << 13
        state ^= state >> 17
        state ^= state << 5
        block[index] = UInt8(truncatingIfNeeded: state)
      }
      try handle.write(contentsOf: block)
      written += block.count
    }
  }

  /// Peak resident memory since the last `resetPeakMemory`, in bytes (Linux VmHWM).
  static func peakMemory() -> Int {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
    return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
  }

  static func currentMemory() -> Int {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
    return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
  }

  /// Resets VmHWM to the current RSS ("5" to clear_refs, Linux 4.0+).
  static func resetPeakMemory() {
    try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
  }
}

/// fault_proxy.py in front of the emulator, for the life of one test.
final class FaultProxy {
  let helper: PortPrintingProcess
  var port: Int { helper.port }
  var endpoint: String { "http://127.0.0.1:\(port)" }

  init(_ mode: String, count: Int = 0) throws {
    let script = TestEnvironment.packageRoot + "/Tests/Fixtures/gcs/fault_proxy.py"
    helper = try PortPrintingProcess(["python3", script, String(GCSSupport.emulatorPort), mode, String(count)])
  }
}
