import Foundation
import Host
import PluginKit

/// The conformance suite for a plugin file, as a plugin's own tests run it:
///
///     let reports = try PluginConformance.check(pluginAt: pathOfMySo, config: ["root": "/tmp/x"])
///     try PluginConformance.require(reports)   // throws, naming every failed case
///
/// `goldfish plugins check` runs exactly this.
public enum PluginConformance {
  /// The default limit on one plugin call: a hung call fails its case instead of the whole check.
  public static let defaultCallTimeout: TimeInterval = 120

  /// Loads the plugin file, opens each of its services (or only `service`) with `config` as its
  /// goldfish.yaml section, and runs the suite on each. Throws when the file is refused, names no
  /// such service, or a service does not open; a failed case is a report entry, not a throw.
  /// `beforeCase` is told, before each case, how the reports would read if the plugin took the
  /// process down during that case (`plugins check --json` prints that on a crash).
  public static func check(
    pluginAt path: String, config: JSONValue = [:], service: String? = nil, image: String? = nil,
    callTimeout: TimeInterval? = defaultCallTimeout, isolation: IsolationMode = .inProcess,
    beforeCase: (([ConformanceReport]) -> Void)? = nil
  ) throws(GoldfishError) -> [ConformanceReport] {
    let registry = PluginRegistry.load([.init(path: path, origin: "command line")])
    if let refusal = registry.refused.first {
      throw GoldfishError(.pluginRefused, refusal.description)
    }
    let services = registry.plugins.flatMap { $0.services }.filter { service == nil || $0.name == service }
    guard !services.isEmpty else {
      throw GoldfishError(
        .serviceNotFound, "\(path) registers no service named \(service ?? "")",
        hint: "it registers: \(registry.plugins.flatMap { $0.services }.map { $0.name }.joined(separator: ", "))")
    }
    var reports: [ConformanceReport] = []
    for info in services {
      guard let kind = ServiceKind(label: info.kind) else { continue }
      let scratch = try Conformance.makeScratch()
      let context = ServiceContext(stateDir: scratch + "/state", hostVersion: GoldfishVersion.current)
      let open = { () throws(GoldfishError) -> OpenedService in
        try registry.open(
          kind, info.name, config: config, context: context, callTimeout: callTimeout.map { max(1, $0) },
          isolation: isolation)
      }
      let opened = try open()
      let plugin = opened.plugin.name
      var report = Conformance.check(
        opened, scratch: scratch, image: image, reopen: { try open() },
        beforeCase: beforeCase.map { notify in
          { [reports] done, name in
            let crashed = ConformanceReport.Case(
              name: name, outcome: .failed,
              message: "the plugin crashed the check during this case; run plugins check with --isolation process "
                + "to check the remaining cases")
            notify(
              reports + [
                ConformanceReport(plugin: plugin, kind: info.kind, service: info.name, cases: done + [crashed])
              ])
          }
        })
      let configCase = ConfigConformance(
        check: { section in
          registry.checkConfig(
            kind, info.name, config: section, context: context, isolation: isolation, timeout: callTimeout)
        }, config: config
      ).run()
      report.cases.insert(contentsOf: [capabilityCase(info), configCase], at: 0)
      reports.append(report)
    }
    return reports
  }

  /// The declared capabilities checked against their schema, as the report's first case.
  static func capabilityCase(_ service: ServiceInfo) -> ConformanceReport.Case {
    let findings = service.checkCapabilities
    return ConformanceReport.Case(
      name: "capabilities", outcome: findings.isEmpty ? .passed : .failed,
      message: findings.isEmpty ? "every declared key is known and well typed" : findings.joined(separator: "; "))
  }

  /// Throws `ConformanceFailure` naming every failed case; returns quietly when none failed.
  /// In XCTest: `XCTAssertNoThrow(try PluginConformance.require(reports))`; in Swift Testing:
  /// `#expect(throws: Never.self) { try PluginConformance.require(reports) }`, or plain `try`.
  public static func require(_ reports: [ConformanceReport]) throws(ConformanceFailure) {
    let failed = reports.filter { !$0.passed }
    guard failed.isEmpty else { throw ConformanceFailure(reports: failed) }
  }

  /// `check` then `require`: the one line a plugin's test needs.
  @discardableResult
  public static func requirePassing(
    pluginAt path: String, config: JSONValue = [:], service: String? = nil, image: String? = nil
  ) throws -> [ConformanceReport] {
    let reports = try check(pluginAt: path, config: config, service: service, image: image)
    try require(reports)
    return reports
  }
}

/// The reports with failed cases; its description lists each one.
public struct ConformanceFailure: Error, CustomStringConvertible {
  public var reports: [ConformanceReport]
  public var description: String {
    "the plugin failed the conformance suite:\n" + reports.map(\.failureSummary).joined(separator: "\n")
  }
}
