import Foundation
import Testing

@testable import GoldfishTestSupport

/// What a user of the CLI sees when a plugin crashes: in-process it cannot be survived (the
/// signal ends goldfish), isolated goldfish reports which plugin failed and exits normally.
@Suite("a crashing plugin and the goldfish process")
struct CrashSurvivalTests {
  /// A project whose storage is the faultstore fixture, run with `isolation`.
  static func project(isolation: String) throws -> String {
    let fixture = try ProjectFixture()
    let path = fixture.root + "/goldfish.yaml"
    var yaml = try String(contentsOfFile: path, encoding: .utf8)
    yaml = yaml.replacingOccurrences(of: "storage:\n  backend: file", with: "storage:\n  backend: faultstore")
    #expect(yaml.contains("backend: faultstore"), "the fixture project's storage section changed: \(yaml)")
    yaml += """

      plugins:
        paths: [\(TestEnvironment.fixture("fault_storage"))]
        call_timeout_seconds: 30
        isolation: \(isolation)

      """
    try yaml.write(toFile: path, atomically: true, encoding: .utf8)
    return fixture.root
  }

  /// Runs goldfish and says whether a signal ended it (Command hides the difference).
  static func goldfish(
    _ arguments: [String], cwd: String
  ) throws -> (signal: Int32?, status: Int32, stdout: String, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: TestEnvironment.goldfish)
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: cwd)
    var environment = ProcessInfo.processInfo.environment
    environment["HOME"] = NSTemporaryDirectory() + "goldfish-test-home"
    environment["GOLDFISH_PLUGIN_PATH"] = nil
    environment["SWIFT_BACKTRACE"] = "enable=no"  // die at once, without a crash report
    process.environment = environment
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    nonisolated(unsafe) var errData = Data()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
      errData = err.fileHandleForReading.readDataToEndOfFile()
      group.leave()
    }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    let signaled = process.terminationReason == .uncaughtSignal
    return (
      signaled ? process.terminationStatus : nil, signaled ? -1 : process.terminationStatus,
      String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self)
    )
  }

  @Test("in-process, a plugin's SIGSEGV ends goldfish: the documented limit isolation lifts")
  func inProcessCrashKillsGoldfish() throws {
    let root = try Self.project(isolation: "in_process")
    let result = try Self.goldfish(["storage", "stat", "object"], cwd: root)
    #expect(result.signal == SIGSEGV, "goldfish was expected to die with SIGSEGV: \(result)")
  }

  @Test("isolated, the same crash is an error naming the plugin and goldfish exits normally")
  func isolatedCrashReported() throws {
    let root = try Self.project(isolation: "{default: in_process, faultstore: process}")
    let result = try Self.goldfish(["storage", "stat", "object"], cwd: root)
    #expect(result.signal == nil, "goldfish died: \(result)")
    #expect(result.status == 2)
    #expect(
      result.stderr.contains(
        "plugin fault-storage (service faultstore) crashed with SIGSEGV during stat; it runs isolated so Goldfish kept going"
      ),
      "\(result.stderr)")
  }

  @Test("plugins check: a crashing plugin ends the check in-process; isolated, every case reports the crash")
  func checkCrashingPlugin() throws {
    let folder = TestEnvironment.temporaryFolder("crashcheck")
    let plugin = TestEnvironment.fixture("crash_storage")
    let inProcess = try Self.goldfish(["plugins", "check", plugin], cwd: folder)
    #expect(inProcess.signal == SIGSEGV, "\(inProcess)")
    let isolated = try Self.goldfish(["plugins", "check", plugin, "--isolation", "process", "--json"], cwd: folder)
    #expect(isolated.signal == nil && isolated.status == 1, "\(isolated)")
    let reports = try #require(try JSONSerialization.jsonObject(with: Data(isolated.stdout.utf8)) as? [[String: Any]])
    let cases = try #require(reports.first?["cases"] as? [[String: Any]])
    let crashed = cases.filter {
      ($0["message"] as? String)?.contains("crash-storage (service crashstore) crashed with SIGSEGV") == true
    }
    // Each crash restarted the helper: more than one case got far enough to crash again.
    #expect(crashed.count > 1, "\(cases)")
  }

  @Test("what an isolated plugin prints never reaches goldfish's stdout")
  func helperStdoutKeptOff() throws {
    let root = try Self.project(isolation: "process")
    let result = try Self.goldfish(["storage", "stat", "object"], cwd: root)
    // uri_for printed before stat crashed: on stderr it may be, on stdout never.
    #expect(!result.stdout.contains("noise from faultstore"), "\(result.stdout)")
    #expect(result.stderr.contains("noise from faultstore"), "the fixture did not print at all: \(result.stderr)")
  }

  @Test("plugins list shows each service's isolation mode")
  func listShowsIsolation() throws {
    let root = try Self.project(isolation: "{default: in_process, fault-storage: process}")
    let listed = try Self.goldfish(["plugins", "list", "--json"], cwd: root)
    #expect(listed.status == 0, "\(listed.stderr)")
    let object = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [String: Any])
    let plugins = try #require(object["plugins"] as? [[String: Any]])
    func isolation(_ plugin: String, _ service: String) -> String? {
      let services = plugins.first { $0["name"] as? String == plugin }?["services"] as? [[String: Any]]
      return services?.first { $0["name"] as? String == service }?["isolation"] as? String
    }
    #expect(isolation("fault-storage", "faultstore") == "process")
    #expect(isolation("goldfish-local", "file") == "in_process")
    let table = try Self.goldfish(["plugins", "list"], cwd: root)
    #expect(table.stdout.contains("faultstore  [isolation: process]"), "\(table.stdout)")
  }

  @Test(
    "plugins.isolation is validated with errors that name the key",
    arguments: [
      ("sandbox", "plugins.isolation is \"sandbox\"; allowed values: in_process, process"),
      ("{default: process, gcs: maybe}", "plugins.isolation.gcs is \"maybe\""),
      ("{\"Not A Name\": process}", "\"Not A Name\" is not a plugin or service name"),
      ("[process]", "plugins.isolation should be in_process, process, or a mapping"),
      ("process\n  isolation_memory_mb: 8", "plugins.isolation_memory_mb is 8; it must be 64–1048576"),
    ])
  func validated(value: String, message: String) throws {
    let root = try Self.project(isolation: value)
    let result = try Self.goldfish(["plugins", "list"], cwd: root)
    #expect(result.status == 2)
    #expect(result.stderr.contains(message), "\(result.stderr)")
  }
}
