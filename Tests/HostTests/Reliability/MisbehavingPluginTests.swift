import Foundation
import PluginKit
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// Faults a plugin can commit without taking the process down, in both isolation modes: each
/// comes back as a typed error naming the plugin, service and function, and the next call works.
/// Serialized: the in-process fixture's buffer counter is one global per test process.
@Suite("plugins that misbehave", .serialized)
struct MisbehavingPluginTests {
  static let modes: [IsolationMode] = [.inProcess, .process]

  @Test("invalid JSON is an invalid_response naming plugin, service and function", arguments: modes)
  func invalidJSON(mode: IsolationMode) throws {
    let storage = try FaultStore.open(mode)
    #expect(storage.isolation == mode)
    let error = try #require(FaultStore.failure { _ = try storage.call("list", ["prefix": "fault:///"]) })
    #expect(error.fault == .invalidResponse)
    #expect(error.plugin == "fault-storage" && error.service == "faultstore" && error.function == "list")
    #expect(error.error.message.contains("invalid JSON") && error.error.message.contains("fault-storage"), "\(error)")
    #expect(try FaultStore.probe(storage).outstanding >= 0)
  }

  @Test("valid JSON that is not an object is refused", arguments: modes)
  func notAnObject(mode: IsolationMode) throws {
    let storage = try FaultStore.open(mode)
    let error = try #require(FaultStore.failure { _ = try storage.call("local_path", ["uri": "fault:///object"]) })
    #expect(error.fault == .invalidResponse && error.function == "local_path")
    #expect(error.error.message.contains("a list instead of a JSON object"), "\(error)")
  }

  @Test("an object of the wrong shape is refused by a typed call", arguments: modes)
  func wrongShape(mode: IsolationMode) throws {
    let storage = try FaultStore.open(mode)
    let error = try #require(
      FaultStore.failure {
        _ = try storage.call("put_file", ["uri": "fault:///object", "path": "/dev/null"], as: ObjectInfo.self)
      })
    #expect(error.fault == .invalidResponse && error.function == "put_file")
    #expect(error.error.message.contains("wrong shape") && error.error.message.contains("quite big"), "\(error)")
    _ = try FaultStore.probe(storage)
  }

  @Test("a reported failure keeps the plugin's code and retryability; the host goes on", arguments: modes)
  func reportedFailure(mode: IsolationMode) throws {
    let storage = try FaultStore.open(mode)
    let error = try #require(FaultStore.failure { _ = try storage.call("delete_object", ["uri": "fault:///object"]) })
    #expect(error.fault == .reported && error.error.code == .unavailable && error.error.retryable)
    #expect(error.plugin == "fault-storage" && error.function == "delete_object")
    _ = try FaultStore.probe(storage)
  }

  /// "Leak" made observable: the fixture counts the buffers it handed out and not yet got back
  /// through its own free. Successful answers, error objects and responses set next to an error
  /// must all come back, whichever transport carried them.
  @Test("every buffer a plugin returns is released with its own free", arguments: modes)
  func noLeakedBuffers(mode: IsolationMode) throws {
    let storage = try FaultStore.open(mode)
    let before = try FaultStore.probe(storage).outstanding
    for _ in 0..<50 {
      _ = FaultStore.failure { _ = try storage.call("delete_object", ["uri": "fault:///object"]) }
      _ = FaultStore.failure { _ = try storage.call("list", ["prefix": "fault:///"]) }
      _ = try storage.call("uri_for", ["key": "object"])
      _ = try FaultStore.probe(storage)
    }
    #expect(try FaultStore.probe(storage).outstanding == before)
  }

  /// One instance per hang: in-process, an abandoned call of a serial service keeps the
  /// service's lock, so that instance's later calls time out too (docs/plugins.md says so).
  @Test("put_bytes and get_bytes are bounded by the call timeout too", arguments: modes)
  func bytesBounded(mode: IsolationMode) throws {
    try Deadline.within(60) {
      let reader = try FaultStore.open(mode, timeout: 1)
      let get = try #require(FaultStore.failure { _ = try reader.getBytes(["uri": "fault:///object"]) })
      #expect(get.fault == .timedOut && get.error.code == .timeout && get.function == "get_bytes")
      #expect(get.error.message.contains("fault-storage"), "\(get)")
      let writer = try FaultStore.open(mode, timeout: 1)
      let put = try #require(FaultStore.failure { _ = try writer.putBytes(["uri": "fault:///object"], [1, 2, 3]) })
      #expect(put.fault == .timedOut && put.function == "put_bytes")
      _ = try FaultStore.probe(try FaultStore.open(mode, timeout: 1))
      if mode == .process {
        // The killed helper is replaced: the same instance answers again.
        _ = try FaultStore.probe(reader)
      }
    }
  }
}
