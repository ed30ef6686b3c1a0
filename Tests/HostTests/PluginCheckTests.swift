import Foundation
import Testing

@testable import GoldfishTestSupport

@Suite("goldfish plugins check")
struct PluginCheckTests {
  @Test("the C example plugin built by the package passes")
  func cdirFromPackage() {
    let root = TestEnvironment.temporaryFolder("cdir-root")
    let result = Command.goldfish([
      "plugins", "check", TestEnvironment.plugin("GoldfishCDir"), "--config", #"{"root": "\#(root)"}"#,
    ])
    #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    #expect(result.stdout.contains("round trip: 64 MiB"))
    #expect(result.stdout.contains("cases passed"))
  }

  @Test("a C plugin compiled outside the package with only cc -shared -fPIC passes")
  func cdirCompiledByHand() throws {
    let folder = TestEnvironment.temporaryFolder("byhand")
    let compile = Command.run([
      "/usr/bin/cc", "-shared", "-fPIC", "-I", TestEnvironment.packageRoot + "/Sources/PluginABI/include",
      "-o", folder + "/libmine.so", TestEnvironment.packageRoot + "/Examples/CPlugin/cdir.c",
    ])
    #expect(compile.status == 0, "\(compile.stderr)")
    let result = Command.goldfish(
      [
        "plugins", "check", folder + "/libmine.so", "--config", #"{"root": "objects"}"#,
      ], cwd: folder)
    #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    #expect(
      FileManager.default.fileExists(atPath: folder + "/objects"), "a relative root resolves against the working folder"
    )
  }

  @Test("the file storage and the process backend pass")
  func localPlugin() {
    let result = Command.goldfish(["plugins", "check", TestEnvironment.plugin("GoldfishLocal"), "--json"])
    #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    let reports = (try? result.json()) as? [[String: Any]] ?? []
    #expect(Set(reports.compactMap { $0["service"] as? String }) == ["file", "process"])
    for report in reports {
      let cases = report["cases"] as? [[String: Any]] ?? []
      #expect(cases.count >= 8)
      #expect(cases.allSatisfy { $0["outcome"] as? String != "failed" }, "\(cases)")
    }
  }

  @Test("the Swift example plugin passes")
  func swiftExample() {
    let result = Command.goldfish(["plugins", "check", TestEnvironment.plugin("GoldfishSwiftExample")])
    #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    #expect(result.stdout.contains("example-swift-memory"))
    // It checks its own section: the max_bytes default in effect, not "not checked".
    #expect(result.stdout.contains(#"PASS  check_config: effective: {"max_bytes":268435456}"#), "\(result.stdout)")
  }

  @Test("a broken storage fails and the report names the failing case")
  func brokenFixture() {
    let root = TestEnvironment.temporaryFolder("broken")
    let result = Command.goldfish([
      "plugins", "check", TestEnvironment.fixture("broken_storage"), "--config", #"{"root": "\#(root)"}"#,
    ])
    #expect(result.status == 1)
    let failing = result.stdout.split(separator: "\n").filter { $0.contains("FAIL") }
    #expect(
      failing.contains { $0.contains("FAIL  round trip: one byte") } == false, "a 1-byte object is read back whole")
    #expect(failing.contains { $0.contains("FAIL  round trip: small via put_file/get_file") })
    #expect(failing.contains { $0.contains("FAIL  round trip: bytes via put_bytes/get_bytes") })
    // What does not read an object back stays green: the report points at the real fault.
    for passing in ["uri_for", "hash", "exists", "list with pages", "delete idempotence", "missing objects"] {
      #expect(result.stdout.contains("PASS  \(passing)"), "\(passing) did not pass")
    }
  }

  @Test("a service that cannot open without its settings says which one is missing")
  func missingSettings() {
    // The gce backend was the build's last placeholder; now it needs gce.project_id.
    let result = Command.goldfish(["plugins", "check", TestEnvironment.plugin("GoldfishGCE")])
    #expect(result.status == 2, "\(result.stdout)\(result.stderr)")
    #expect(result.stderr.contains("gce.project_id"))
  }

  @Test("bad input to check is a clear error")
  func badInput() {
    let badJSON = Command.goldfish(["plugins", "check", TestEnvironment.fixture("cdir"), "--config", "{root"])
    #expect(badJSON.status == 2)
    #expect(badJSON.stderr.contains("--config is not valid JSON"))
    let noRoot = Command.goldfish(["plugins", "check", TestEnvironment.fixture("cdir")])
    #expect(noRoot.status == 2)
    #expect(noRoot.stderr.contains("root"), "\(noRoot.stderr)")
    let refused = Command.goldfish(["plugins", "check", TestEnvironment.fixture("wrong_major")])
    #expect(refused.status == 2)
    #expect(refused.stderr.contains("ABI 99.0"))
    let unknownService = Command.goldfish([
      "plugins", "check", TestEnvironment.plugin("GoldfishLocal"), "--service", "nope",
    ])
    #expect(unknownService.status == 2)
    #expect(unknownService.stderr.contains("file, process"))
  }
}
