import Host
import PluginKit

/// The `check_config` case (ABI 1.2): a service that checks its goldfish.yaml section answers a
/// report of the right shape, finds nothing wrong with the section it was opened with, and
/// reports a bad section as a problem instead of failing. A service without check_config is
/// "not checked": optional, so never a failure.
struct ConfigConformance {
  static let caseName = "check_config"
  /// A key no plugin defines: every checking plugin must name it as a problem or a note.
  static let unknownKey = "goldfish_conformance_unknown_key"

  let check: (JSONValue) -> ServiceConfigAnswer?
  /// The section the suite opened the service with (open accepted it).
  let config: JSONValue

  func run() -> ConformanceReport.Case {
    var runner = CaseRunner()
    var checked = true
    runner.run(Self.caseName) {
      switch check(config) {
      case .none:
        throw CheckFailure("the service is not registered")
      case .notChecked:
        checked = false
        return nil
      case .failed(let why):
        throw CheckFailure("check_config of the section open accepted failed: \(why)")
      case .report(let report):
        try expect(
          report.effective.objectValue != nil,
          "\"effective\" is \(report.effective.jsonText), not an object of the values in effect")
        try expect(
          report.problems.isEmpty,
          "open accepted the section but check_config finds problems: "
            + report.problems.map(Self.describe).joined(separator: "; "))
        try badSectionIsAProblem()
        return "effective: \(report.effective.jsonText)"
      }
    }
    guard let result = runner.cases.first else {
      return .init(name: Self.caseName, outcome: .failed, message: "the case did not run")
    }
    if result.outcome == .passed && !checked {
      return .init(
        name: Self.caseName, outcome: .skipped,
        message: "not checked: the service has no check_config (optional, ABI 1.2)")
    }
    return result
  }

  /// The same section with a key nobody defines: a report that names it, not a failure.
  private func badSectionIsAProblem() throws {
    var bad = config.objectValue ?? [:]
    bad[Self.unknownKey] = .bool(true)
    switch check(.object(bad)) {
    case .report(let report):
      let named = (report.problems + report.notes).contains {
        $0.key == Self.unknownKey || $0.message.contains(Self.unknownKey)
      }
      try expect(
        named,
        "a section with the unknown key \"\(Self.unknownKey)\" was answered without a problem or note naming it")
    case .failed(let why):
      throw CheckFailure("a section with an unknown key made check_config fail instead of reporting it: \(why)")
    case .notChecked, .none:
      throw CheckFailure("check_config answered for one section and not for another")
    }
  }

  static func describe(_ problem: ConfigReport.Problem) -> String {
    (problem.key.map { "\($0): " } ?? "") + problem.message
  }
}
