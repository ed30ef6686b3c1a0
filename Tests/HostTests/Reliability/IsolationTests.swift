import Foundation
import PluginKit
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// `plugins.isolation: process`: the plugin runs in a `goldfish plugin-host` helper, so faults
/// that would end goldfish end only the helper.
@Suite("process isolation")
struct IsolationTests {
  @Test("a crash fails the call with plugin_crashed; the next call restarts the helper with the same config")
  func crashSurvived() throws {
    let storage = try FaultStore.open(.process, config: ["label": "kept"])
    let first = try FaultStore.probe(storage)
    #expect(first.pid != getpid(), "the plugin ran inside the test process")
    #expect(first.config?["label"] == "kept")
    let error = try #require(FaultStore.failure { _ = try storage.call("stat", ["uri": "fault:///object"]) })
    #expect(error.fault == .crashed)
    #expect(error.plugin == "fault-storage" && error.service == "faultstore" && error.function == "stat")
    #expect(
      error.error.message
        == "plugin fault-storage (service faultstore) crashed with SIGSEGV during stat; it runs isolated so Goldfish kept going"
    )
    #expect(error.error.detail["signal"] == "SIGSEGV")
    #expect(!FaultStore.isAlive(first.pid), "the crashed helper was not reaped")
    let second = try FaultStore.probe(storage)
    #expect(second.pid != first.pid && second.pid != getpid())
    #expect(second.config?["label"] == "kept", "the new helper did not reopen the service with its config")
  }

  @Test("a hang past the timeout kills the helper, so no thread or process is left behind")
  func hangKillsHelper() throws {
    try Deadline.within(60) {
      let storage = try FaultStore.open(.process, timeout: 1)
      let before = try FaultStore.probe(storage)
      let error = try #require(FaultStore.failure { _ = try storage.getBytes(["uri": "fault:///object"]) })
      #expect(error.fault == .timedOut && error.error.code == .timeout)
      #expect(error.error.message.contains("fault-storage") && error.error.message.contains("get_bytes"), "\(error)")
      #expect(!FaultStore.isAlive(before.pid), "the hung helper is still running")
      #expect(try FaultStore.probe(storage).pid != before.pid)
    }
  }

  @Test("a JSON call that never answers is bounded in a helper as in-process")
  func hangingJSONCall() throws {
    try Deadline.within(60) {
      let registry = PluginRegistry.load([.init(path: TestEnvironment.fixture("hang_storage"), origin: "test")])
      let storage = try registry.open(.objectStorage, "hangstore", callTimeout: 1, isolation: .process)
      let error = try #require(FaultStore.failure { _ = try storage.call("stat", ["uri": "hang:///x"]) })
      #expect(error.fault == .timedOut)
      #expect(error.error.message == "the plugin hang-storage did not answer hangstore.stat within 1 s")
      #expect(try storage.call("exists", ["uri": "hang:///x"])["exists"] == false)
    }
  }

  @Test("calls from many threads share one helper without mixing their answers")
  func concurrentCalls() throws {
    let storage = try FaultStore.open(.process)
    let pid = try FaultStore.probe(storage).pid
    let answers = PIDs()
    DispatchQueue.concurrentPerform(iterations: 16) { index in
      let key = "object-\(index)"
      let uri = try? storage.call("uri_for", ["key": .string(key)])["uri"]?.stringValue
      let probe = try? FaultStore.probe(storage)
      answers.add(uri == "fault:///object" ? probe?.pid : nil)
    }
    #expect(answers.all == Array(repeating: pid, count: 16))
  }

  @Test("an isolated service shows the same info and capabilities as in-process")
  func sameFace() throws {
    let registry = PluginRegistry.load([.init(path: TestEnvironment.fixture("hang_storage"), origin: "test")])
    let inProcess = try registry.open(.objectStorage, "hangstore", callTimeout: 5)
    let isolated = try registry.open(.objectStorage, "hangstore", callTimeout: 5, isolation: .process)
    #expect(inProcess.info == isolated.info && inProcess.plugin == isolated.plugin)
    #expect(isolated.supports("exists") && !isolated.supports("put_file"))
    let unsupported = try #require(FaultStore.failure { _ = try isolated.call("put_file", ["uri": "hang:///x"]) })
    #expect(unsupported.error.code == .unsupported)
  }

  /// Without the limit the 64 leaks (256 MiB) all succeed and the test fails.
  @Test("a leaking isolated plugin hits plugins.isolation_memory_mb, crashes alone and comes back")
  func leakBounded() throws {
    let registry = PluginRegistry.load([.init(path: FaultStore.path, origin: "test")])
    let storage = try registry.open(
      .objectStorage, "faultstore", config: [:], callTimeout: 30, isolation: .process, memoryLimitMB: 128)
    let first = try FaultStore.probe(storage).pid
    var crash: PluginCallError?
    for _ in 0..<64 {
      do {
        _ = try storage.call("get_file", ["uri": "fault:///object", "path": "/dev/null"])
      } catch {
        crash = error
        break
      }
    }
    let error = try #require(crash, "64 leaks of 4 MiB each went through a 128 MiB limit")
    #expect(error.fault == .crashed && error.function == "get_file", "\(error)")
    #expect(try FaultStore.probe(storage).pid != first)
  }

  @Test("a service whose open fails reports the plugin's error, isolated or not")
  func openFailure() throws {
    let registry = PluginRegistry.load([.init(path: TestEnvironment.fixture("cdir"), origin: "test")])
    for mode in [IsolationMode.inProcess, .process] {
      let error = goldfishError { _ = try registry.open(.objectStorage, "cdir", config: ["root": 42], isolation: mode) }
      #expect(error?.code == .configInvalid, "\(mode): \(String(describing: error))")
    }
  }
}

/// Results gathered from concurrent calls.
final class PIDs: @unchecked Sendable {
  private let lock = NSLock()
  private var values: [Int32?] = []
  func add(_ value: Int32?) { lock.withLock { values.append(value) } }
  var all: [Int32?] { lock.withLock { values } }
}
