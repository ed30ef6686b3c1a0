import Foundation
import GoldfishTesting
import Host
import PluginKit
import PluginSupport
import Testing

@testable import GoldfishTestSupport

/// The run backend cases of the conformance suite: each one passes on a correct backend and
/// fails on a backend with the one mistake it is there to catch.
@Suite("conformance suite cases")
struct ConformanceSuiteTests {
  static let sloppy = TestEnvironment.plugin("SloppyRunFixture")

  static func check(_ arguments: [String]) -> (status: Int32, reports: [[String: Any]], output: String) {
    let result = Command.goldfish(["plugins", "check"] + arguments + ["--json"])
    let reports = (try? result.json()) as? [[String: Any]] ?? []
    return (result.status, reports, result.stdout + result.stderr)
  }

  static func outcomes(_ report: [String: Any]) -> [String: (outcome: String, message: String)] {
    let cases = report["cases"] as? [[String: Any]] ?? []
    return Dictionary(
      cases.map { ($0["name"] as? String ?? "", ($0["outcome"] as? String ?? "", $0["message"] as? String ?? "")) },
      uniquingKeysWith: { first, _ in first })
  }

  static func sloppyConfig(_ fault: String) -> String {
    let root = TestEnvironment.temporaryFolder("sloppy-" + fault)
    return #"{"root": "\#(root)", "fault": "\#(fault)"}"#
  }

  static let newCases = [
    "env, working directory and outputs_dir", "timeout_seconds is enforced", "recover from a fresh instance",
    "parallel launches", "cancel races status", "cleanup ends a running job",
  ]

  @Test("a correct backend passes every case, the new ones included")
  func correctBackendPasses() throws {
    let (status, reports, output) = Self.check([Self.sloppy, "--config", Self.sloppyConfig("none")])
    #expect(status == 0, "\(output)")
    let cases = Self.outcomes(try #require(reports.first, "\(output)"))
    for name in Self.newCases {
      #expect(cases[name]?.outcome == "passed", "\(name): \(cases[name].map { "\($0)" } ?? "missing")")
    }
    #expect(cases.values.allSatisfy { $0.outcome == "passed" }, "\(cases)")
  }

  @Test(
    "each new case fails on the backend with its mistake",
    arguments: [
      ("no_timeout", "timeout_seconds is enforced"),
      ("bare_env", "env, working directory and outputs_dir"),
      ("cleanup_noop", "cleanup ends a running job"),
      ("memory_only", "recover from a fresh instance"),
      ("one_slot", "parallel launches"),
      ("racy_cancel", "cancel races status"),
      ("config_blind", "check_config"),
    ])
  func mistakeIsCaught(fault: String, caseName: String) throws {
    let (status, reports, output) = Self.check([Self.sloppy, "--config", Self.sloppyConfig(fault)])
    #expect(status == 1, "\(output)")
    let cases = Self.outcomes(try #require(reports.first, "\(output)"))
    #expect(cases[caseName]?.outcome == "failed", "\(caseName) did not fail with \(fault): \(cases)")
    // The first case still passes: the report points at the mistake, not at everything.
    #expect(cases["status until completed"]?.outcome == "passed", "\(cases)")
  }

  @Test("the process backend passes the new cases")
  func processBackendPasses() throws {
    let (status, reports, output) = Self.check([TestEnvironment.plugin("GoldfishLocal"), "--service", "process"])
    #expect(status == 0, "\(output)")
    let cases = Self.outcomes(try #require(reports.first, "\(output)"))
    for name in Self.newCases { #expect(cases[name]?.outcome == "passed", "\(name): \(cases)") }
  }

  @Test("cases that need a failed one are skipped, naming it")
  func dependentsSkipped() throws {
    let calls = TestEnvironment.temporaryFolder("skipcalls") + "/calls"
    let (status, reports, output) = Self.check([
      TestEnvironment.fixture("fault_run"), "--config", #"{"status_fault": "malformed", "calls_file": "\#(calls)"}"#,
    ])
    #expect(status == 1, "\(output)")
    let cases = Self.outcomes(try #require(reports.first, "\(output)"))
    #expect(cases["launch"]?.outcome == "passed", "\(cases)")
    // check_config is optional: a backend without it is "not checked", never a failure.
    #expect(cases["check_config"]?.outcome == "skipped", "\(cases)")
    #expect(cases["check_config"]?.message.contains("not checked") == true, "\(cases)")
    #expect(cases["status until completed"]?.outcome == "failed", "\(cases)")
    #expect(cases["status until completed"]?.message.contains("invalid JSON") == true, "\(cases)")
    for name in ["logs by offset", "exit code", "recover", "parallel launches", "timeout_seconds is enforced"] {
      #expect(cases[name]?.outcome == "skipped", "\(name): \(cases)")
      #expect(cases[name]?.message.contains("\"status until completed\" failed") == true, "\(name): \(cases)")
    }
  }

  @Test("an answer that never comes fails its case after the call timeout, and the check goes on")
  func slowAnswerReported() throws {
    let calls = TestEnvironment.temporaryFolder("hangcalls") + "/calls"
    let (status, reports, output) = Self.check([
      TestEnvironment.fixture("fault_run"), "--config", #"{"status_fault": "hang", "calls_file": "\#(calls)"}"#,
      "--call-timeout", "2",
    ])
    #expect(status == 1, "\(output)")
    let cases = Self.outcomes(try #require(reports.first, "\(output)"))
    #expect(cases["status until completed"]?.outcome == "failed", "\(cases)")
    #expect(cases["status until completed"]?.message.contains("within 2 s") == true, "\(cases)")
    #expect(cases["warm-pool functions match capabilities"]?.outcome == "passed", "\(cases)")
  }

  @Test("--json is JSON when the file is refused")
  func jsonOnRefusal() throws {
    let result = Command.goldfish(["plugins", "check", TestEnvironment.fixture("wrong_major"), "--json"])
    #expect(result.status == 2)
    let answer = try #require(try result.json() as? [String: Any], "\(result.stdout)")
    let error = try #require(answer["error"] as? [String: Any])
    #expect(error["code"] as? String == "plugin_refused")
    #expect((error["message"] as? String)?.contains("ABI 99.0") == true, "\(error)")
  }

  @Test("--json is JSON when an in-process plugin crashes the check")
  func jsonOnCrash() throws {
    let folder = TestEnvironment.temporaryFolder("crashjson")
    let result = try CrashSurvivalTests.goldfish(
      ["plugins", "check", TestEnvironment.fixture("crash_storage"), "--json"], cwd: folder)
    #expect(result.signal == SIGSEGV, "\(result)")
    let reports = try #require(
      try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]], "\(result.stdout)")
    let cases = try #require(reports.first?["cases"] as? [[String: Any]])
    #expect(cases.last?["outcome"] as? String == "failed")
    #expect((cases.last?["message"] as? String)?.contains("--isolation process") == true, "\(cases)")
  }

  @Test("a plugin's own tests run the suite through GoldfishTesting")
  func libraryAPI() throws {
    let root = TestEnvironment.temporaryFolder("sloppy-lib")
    let reports = try PluginConformance.requirePassing(pluginAt: Self.sloppy, config: ["root": .string(root)])
    #expect(reports.map(\.service) == ["sloppyrun"])
    let failing = try PluginConformance.check(
      pluginAt: Self.sloppy, config: ["root": .string(root + "-2"), "fault": "bare_env"])
    #expect(failing.first?.outcome(of: "env, working directory and outputs_dir") == .failed)
    #expect(throws: ConformanceFailure.self) { try PluginConformance.require(failing) }
    do {
      try PluginConformance.require(failing)
    } catch {
      #expect(error.description.contains("env, working directory and outputs_dir"), "\(error)")
    }
  }
}
