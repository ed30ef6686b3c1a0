import Foundation
import GoldfishTesting
import XCTest

/// goldfish's conformance suite, run by this package's own `swift test` on the plugin it builds.
final class ConformanceTests: XCTestCase {
  /// libSwiftDir.so, which `swift test` builds into the folder that holds this test bundle.
  static var plugin: String {
    var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
      if FileManager.default.fileExists(atPath: folder.path + "/libSwiftDir.so") {
        return folder.path + "/libSwiftDir.so"
      }
      folder = folder.deletingLastPathComponent()
    }
    return folder.path + "/libSwiftDir.so"
  }

  func testPassesTheConformanceSuite() throws {
    let root = NSTemporaryDirectory() + "swiftdir-check-" + UUID().uuidString
    let reports = try PluginConformance.requirePassing(pluginAt: Self.plugin, config: ["root": .string(root)])
    XCTAssertEqual(reports.map(\.service), ["swiftdir"])
    XCTAssertTrue(reports[0].cases.contains { $0.name == "round trip: 64 MiB via put_file/get_file" })
    // Its section is checked (check_config), not "not checked".
    XCTAssertEqual(reports[0].outcome(of: "check_config"), .passed)
  }
}
