import Foundation
import PluginKit
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// A plugin call that never answers is bounded, named, and leaves the host and the plugin's
/// other functions working.
@Suite("plugin call timeouts")
struct PluginTimeoutTests {
  // Without the timeout the call sleeps for an hour: the deadline makes that a failure.
  @Test("a hanging call fails with a timeout naming the plugin; other calls still answer")
  func hangingCall() throws {
    try Deadline.within(60) {
      let registry = PluginRegistry.load([.init(path: TestEnvironment.fixture("hang_storage"), origin: "test")])
      #expect(registry.refused.isEmpty, "\(registry.refused)")
      let storage = try registry.open(.objectStorage, "hangstore", callTimeout: 1)
      let start = Date()
      do {
        _ = try storage.call("stat", ["uri": "hang:///x"])
        Issue.record("a call that never answers returned")
      } catch let error as PluginCallError {
        #expect(error.error.code == .timeout)
        #expect(error.error.message.contains("hang-storage") && error.error.message.contains("stat"), "\(error)")
      }
      #expect(Date().timeIntervalSince(start) < 10)
      #expect(try storage.call("exists", ["uri": "hang:///x"])["exists"] == false)
    }
  }

  @Test("bounded calls run on long-lived call threads, and an overrun still times out")
  func callThreadsStay() throws {
    try Deadline.within(60) {
      let registry = PluginRegistry.load([.init(path: TestEnvironment.fixture("hang_storage"), origin: "test")])
      let storage = try registry.open(.objectStorage, "hangstore", callTimeout: 1)
      for _ in 0..<50 { #expect(try storage.call("exists", ["uri": "hang:///x"])["exists"] == false) }
      // A thread per call ended with its call; the service's call threads wait for the next.
      #expect(Self.callThreads() >= 1)
      #expect(throws: PluginCallError.self) { _ = try storage.call("stat", ["uri": "hang:///x"]) }
      for _ in 0..<5 { #expect(try storage.call("exists", ["uri": "hang:///x"])["exists"] == false) }
    }
  }

  /// Threads of this process named as CallThreads names them (Linux keeps 15 bytes of a name).
  static func callThreads() -> Int {
    let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
    return tasks.filter { task in
      let name = (try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8)) ?? ""
      return name.hasPrefix("goldfish plugin")
    }.count
  }

  @Test("plugins.call_timeout_seconds is read with its bounds")
  func configured() throws {
    let folder = TestEnvironment.temporaryFolder("timeout")
    try "plugins:\n  call_timeout_seconds: 0\n".write(
      toFile: folder + "/goldfish.yaml", atomically: true, encoding: .utf8)
    let refused = Command.goldfish(["plugins", "list"], cwd: folder)
    #expect(refused.status == 2)
    #expect(
      refused.stderr.contains("plugins.call_timeout_seconds") && refused.stderr.contains("1–86400"), "\(refused.stderr)"
    )
    try "plugins:\n  call_timeout_seconds: 30\n".write(
      toFile: folder + "/goldfish.yaml", atomically: true, encoding: .utf8)
    let host = try PluginHost.start(project: ProjectLocation(root: folder))
    #expect(host.callTimeout == 30)
  }
}
