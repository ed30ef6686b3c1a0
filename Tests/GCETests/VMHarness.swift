import Foundation
import PluginKit

@testable import GoldfishTestSupport
@testable import Host

/// Tests/Fixtures/gce/vm_harness.py for one project: plays its gcplocal VMs by running the
/// real goldfish-agent of this build for each RUNNING instance. Stopped (with its agents) by
/// closing its stdin.
final class VMHarness {
  static var agent: String { TestEnvironment.binFolder + "/goldfish-agent" }
  static var available: Bool { GCESupport.available && FileManager.default.isExecutableFile(atPath: agent) }

  let process = Process()
  let input = Pipe()
  let work: String

  init(project: String, zones: [String] = ["us-central1-a"], bootDelay: Double = 0) throws {
    work = TestEnvironment.temporaryFolder("gce-harness")
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [
      "python3", TestEnvironment.packageRoot + "/Tests/Fixtures/gce/vm_harness.py", "--api", GCESupport.endpoint ?? "",
      "--project", project, "--zones", zones.joined(separator: ","), "--agent", Self.agent, "--work", work,
      "--boot-delay", String(bootDelay), "--poll", "0.1",
    ]
    var environment = ProcessInfo.processInfo.environment
    environment["STORAGE_EMULATOR_HOST"] = "http://127.0.0.1:\(GCSSupport.emulatorPort)"
    process.environment = environment
    let output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    try process.run()
    _ = try output.fileHandleForReading.read(upToCount: 6)  // "ready\n"
  }

  /// What the harness did, for failure messages.
  var log: String { (try? String(contentsOfFile: work + "/harness.log", encoding: .utf8)) ?? "" }

  deinit {
    try? input.fileHandleForWriting.close()
    process.waitUntilExit()
  }
}

extension GCESupport {
  /// Polls status until the run is final, at most `limit` polls 0.2 s apart (a bound against
  /// hanging, not an assertion about speed).
  static func waitFinal(_ backend: OpenedService, _ handle: JSONValue, limit: Int = 600) throws -> RunStatus {
    var status = try GCESupport.status(backend, handle)
    var polls = 0
    while !status.state.isFinal && polls < limit {
      Thread.sleep(forTimeInterval: 0.2)
      status = try GCESupport.status(backend, handle)
      polls += 1
    }
    return status
  }

  static func waitUntil(limit: Int = 600, _ condition: () throws -> Bool) rethrows -> Bool {
    for _ in 0..<limit {
      if try condition() { return true }
      Thread.sleep(forTimeInterval: 0.2)
    }
    return false
  }
}
