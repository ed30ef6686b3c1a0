import Foundation
import PluginKit
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// A project whose runs go to the "faultrun" fixture (Tests/Fixtures/plugins/fault_run.c): a
/// run backend whose status misbehaves as `statusFault` says, and which writes every call it
/// gets to `calls` (one "<function> <run_id>" line each).
struct FaultRunProject {
  let fixture: ProjectFixture
  let calls: String

  static var pluginPath: String { TestEnvironment.fixture("fault_run") }

  /// `specFile`: where the plugin writes each run spec it is given.
  init(
    statusFault: String = "none", recoverFault: String = "none", callTimeout: Int = 2, specFile: String? = nil
  )
    throws
  {
    let calls = TestEnvironment.temporaryFolder("faultrun-calls") + "/calls.log"
    self.calls = calls
    fixture = try SamplePipeline.project { text in
      text.replacingOccurrences(of: "backend: process", with: "backend: faultrun")
        + """

        plugins:
          paths: [\(Self.pluginPath)]
          call_timeout_seconds: \(callTimeout)
        faultrun:
          status_fault: "\(statusFault)"
          recover_fault: "\(recoverFault)"
          calls_file: \(calls)
        \(specFile.map { "  spec_file: \($0)" } ?? "")

        """
    }
  }

  var project: Project { fixture.project }
  var root: String { fixture.root }

  /// The calls the plugin got, in order.
  var lines: [String] {
    ((try? String(contentsOfFile: calls, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
  }

  func called(_ function: String, _ runID: String) -> Bool {
    lines.contains { $0 == "\(function) \(runID)" || $0.hasPrefix("\(function) \(runID) ") }
  }

  /// Polls `condition` every 0.2 s for up to `seconds` (a bound for a hung build, not a timing claim).
  static func eventually(_ seconds: TimeInterval, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
      if try condition() { return true }
      usleep(200_000)
    }
    return try condition()
  }
}
