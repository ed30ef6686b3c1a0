import Host
import PluginKit

/// The outcome of `goldfish plugins check` for one service.
public struct ConformanceReport: Codable, Sendable {
  public enum Outcome: String, Codable, Sendable {
    case passed, failed, skipped
  }

  public struct Case: Codable, Sendable {
    public var name: String
    public var outcome: Outcome
    public var message: String
  }

  public var plugin: String
  public var kind: String
  public var service: String
  public var cases: [Case]

  public var passed: Bool { !cases.contains { $0.outcome == .failed } }
  public var failures: [Case] { cases.filter { $0.outcome == .failed } }

  /// The outcome of the case named `name`, nil when the suite did not reach it.
  public func outcome(of name: String) -> Outcome? { cases.first { $0.name == name }?.outcome }

  /// One line per failed case, for a test failure message.
  public var failureSummary: String {
    failures.map { "\(plugin) \(kind) \"\(service)\": \($0.name): \($0.message)" }.joined(separator: "\n")
  }
}

/// A failed expectation inside a conformance case.
struct CheckFailure: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}

/// Runs named cases and records each outcome; a case throws `CheckFailure` or a
/// `PluginCallError` to fail. A case that needs an earlier one is skipped, naming it, when that
/// one did not pass: its failure would only repeat the first one's with a misleading message.
struct CaseRunner {
  private(set) var cases: [ConformanceReport.Case] = []
  var beforeCase: ((_ done: [ConformanceReport.Case], _ next: String) -> Void)?

  mutating func run(_ name: String, after dependencies: [String] = [], _ body: () throws -> String?) {
    if let blocker = dependencies.first(where: { outcome(of: $0) != .passed }) {
      let why = outcome(of: blocker) == .failed ? "failed" : "did not run"
      skip(name, "skipped because \"\(blocker)\" \(why)")
      return
    }
    beforeCase?(cases, name)
    do {
      let note = try body()
      cases.append(.init(name: name, outcome: .passed, message: note ?? "ok"))
    } catch let failure as CheckFailure {
      cases.append(.init(name: name, outcome: .failed, message: failure.description))
    } catch {
      cases.append(.init(name: name, outcome: .failed, message: "\(error)"))
    }
  }

  mutating func skip(_ name: String, _ why: String) {
    cases.append(.init(name: name, outcome: .skipped, message: why))
  }

  func outcome(of name: String) -> ConformanceReport.Outcome? { cases.last { $0.name == name }?.outcome }
}

func expect(_ condition: Bool, _ message: @autoclosure () -> String) throws {
  if !condition { throw CheckFailure(message()) }
}

/// Runs `body` expecting the plugin to fail with `code`.
func expectFailure(_ code: ErrorCode, _ what: String, _ body: () throws -> Any) throws {
  do {
    _ = try body()
  } catch let error as PluginCallError {
    try expect(
      error.error.code == code,
      "\(what): expected error code \(code.rawValue), got \(error.error.code.rawValue) (\(error.error.message))")
    return
  }
  throw CheckFailure("\(what): expected error code \(code.rawValue), but the call succeeded")
}

extension JSONValue {
  /// The value as compact JSON, for messages: a report shows what the plugin sent, not a Swift dump.
  var jsonText: String { (try? JSONCoding.encode(self)) ?? "(not encodable)" }
}
