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

  /// The isolated mode (a VM container that shares nothing with the host) needs the private
  /// engine, the VM image scripts/gce-local.sh imports, and the loopback registry.
  static let vmImage = ProcessInfo.processInfo.environment["GOLDFISH_VM_IMAGE"] ?? "goldfish/gce-vm:1"
  static let registry = ProcessInfo.processInfo.environment["GOLDFISH_REGISTRY"]
  static var isolatedAvailable: Bool { available && DockerSupport.available && registry != nil }

  let process = Process()
  let input = Pipe()
  let work: String
  /// In isolated mode: the loopback TCP port of the engine the VMs run jobs through.
  private(set) var enginePort = 0

  init(project: String, zones: [String] = ["us-central1-a"], bootDelay: Double = 0, isolated: Bool = false) throws {
    work = TestEnvironment.temporaryFolder("gce-harness")
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments =
      [
        "python3", TestEnvironment.packageRoot + "/Tests/Fixtures/gce/vm_harness.py", "--api",
        GCESupport.endpoint ?? "", "--project", project, "--zones", zones.joined(separator: ","), "--agent",
        Self.agent, "--work", work, "--boot-delay", String(bootDelay), "--poll", "0.1",
      ]
      + (isolated ? ["--isolated", "--vm-image", Self.vmImage, "--engine", DockerSupport.hostAddress ?? ""] : [])
    var environment = ProcessInfo.processInfo.environment
    environment["STORAGE_EMULATOR_HOST"] = "http://127.0.0.1:\(GCSSupport.emulatorPort)"
    process.environment = environment
    let output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    try process.run()
    var line = Data()
    while let byte = try output.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data([10]) {
      line.append(byte)
    }
    enginePort = Int(String(decoding: line, as: UTF8.self).split(separator: " ").last ?? "") ?? 0  // "ready [port]"
  }

  /// What the harness did, for failure messages (and each isolated VM's own output).
  var log: String {
    var text = (try? String(contentsOfFile: work + "/harness.log", encoding: .utf8)) ?? ""
    for name in (try? FileManager.default.contentsOfDirectory(atPath: work)) ?? [] {
      if let vm = try? String(contentsOfFile: work + "/" + name + "/vm.log", encoding: .utf8) {
        text += "\n--- \(name) ---\n" + vm
      }
    }
    return text
  }

  /// Preempts an isolated VM: its agent gets SIGTERM, the instance stays.
  func preempt(_ instance: String) throws {
    try FileManager.default.createDirectory(atPath: work + "/preempt", withIntermediateDirectories: true)
    FileManager.default.createFile(atPath: work + "/preempt/" + instance, contents: Data())
  }

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
