import Foundation
import PluginKit
import Testing

@testable import Host

/// The "faultstore" fixture (Tests/Fixtures/plugins/fault_storage.c): each function
/// misbehaves in its own way; `exists` is the healthy probe.
enum FaultStore {
  static var path: String { TestEnvironment.fixture("fault_storage") }

  static func open(
    _ isolation: IsolationMode, timeout: TimeInterval? = 5, config: JSONValue = ["label": "first"]
  )
    throws -> OpenedService
  {
    let registry = PluginRegistry.load([.init(path: path, origin: "test")])
    #expect(registry.refused.isEmpty, "\(registry.refused)")
    return try registry.open(.objectStorage, "faultstore", config: config, callTimeout: timeout, isolation: isolation)
  }

  /// What the healthy probe reports: where the plugin runs and what it still holds.
  struct Probe {
    var pid: Int32
    var outstanding: Int64
    var config: JSONValue?
  }

  static func probe(_ service: OpenedService) throws -> Probe {
    let answer = try service.call("exists", ["uri": "fault:///object"])
    return Probe(
      pid: Int32(try #require(answer["pid"]?.intValue)), outstanding: try #require(answer["outstanding"]?.intValue),
      config: answer["config"])
  }

  /// The PluginCallError `body` throws, or nil (recorded as an issue) when it does not throw one.
  static func failure(
    _ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation
  )
    -> PluginCallError?
  {
    do {
      try body()
      Issue.record("the call succeeded", sourceLocation: sourceLocation)
    } catch let error as PluginCallError {
      return error
    } catch {
      Issue.record("not a PluginCallError: \(error)", sourceLocation: sourceLocation)
    }
    return nil
  }

  /// Whether a process with this pid still exists (a reaped helper does not).
  static func isAlive(_ pid: Int32) -> Bool {
    kill(pid, 0) == 0 || errno != ESRCH
  }
}
