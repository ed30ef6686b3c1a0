import Foundation
import PluginKit
import PluginSupport

@testable import GoldfishTestSupport

/// A real goldfish-agent over a real file mailbox in a temporary folder.
final class AgentHarness {
  let folder: String
  let store: FileMailboxStore
  var config: AgentConfig
  private(set) var pid: pid_t = 0
  private(set) var exitStatus: Int32?

  static var binary: String { TestEnvironment.binFolder + "/goldfish-agent" }

  init(_ label: String, idleTimeoutSeconds: Int? = nil, preservePaths: [String] = []) throws {
    folder = TestEnvironment.temporaryFolder("agent-\(label)")
    store = try FileMailboxStore(root: folder + "/mailbox")
    config = AgentConfig(
      workerId: "w-\(label)", mailbox: store.rootURI, workRoot: folder + "/work",
      idleTimeoutSeconds: idleTimeoutSeconds, preservePaths: preservePaths, pollIntervalMs: 50, killGraceSeconds: 2)
  }

  deinit {
    stop()
    try? FileManager.default.removeItem(atPath: folder)
  }

  func start() throws {
    let configPath = folder + "/agent.json"
    try JSONCoding.encode(config).write(toFile: configPath, atomically: true, encoding: .utf8)
    // Started without a process group of its own: a kill(0) by the agent would reach the
    // test process itself (upstream §5.7 #9).
    pid = try Spawn.start(
      [Self.binary, "--config", configPath], environment: ProcessInfo.processInfo.environment)
    exitStatus = nil
  }

  func submit(_ job: AgentJob) throws {
    try store.putJSON(try MailboxLayout.job(worker: config.workerId, run: job.runId), job)
  }

  /// Waits for the run's exit record (bounded so a broken agent fails the test instead of hanging it).
  func waitForExit(_ runId: String, limitSeconds: Double = 60) throws -> AgentExit {
    let key = try MailboxLayout.exit(run: runId)
    let deadline = Date().addingTimeInterval(limitSeconds)
    while Date() < deadline {
      if let record = try store.getJSON(AgentExit.self, key) { return record }
      usleep(20_000)
    }
    throw PluginError(.timeout, "no exit record for \(runId) within \(limitSeconds) s")
  }

  func waitFor(limitSeconds: Double = 30, _ condition: () throws -> Bool) throws {
    let deadline = Date().addingTimeInterval(limitSeconds)
    while Date() < deadline {
      if try condition() { return }
      usleep(20_000)
    }
    throw PluginError(.timeout, "condition not met within \(limitSeconds) s")
  }

  var status: AgentWorkerStatus? {
    try? store.getJSON(AgentWorkerStatus.self, MailboxLayout.status(worker: config.workerId))
  }

  func log(_ runId: String) -> String {
    (try? store.get(MailboxLayout.log(run: runId))).flatMap { $0 }.map { String(decoding: $0, as: UTF8.self) } ?? ""
  }

  /// True while the agent process runs (reaps it once it ended).
  var isRunning: Bool {
    guard pid > 0, exitStatus == nil else { return false }
    var status: Int32 = 0
    let done = waitpid(pid, &status, WNOHANG)
    if done == pid {
      exitStatus = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
      return false
    }
    return done == 0
  }

  /// Waits for the agent to leave on its own; its exit status.
  func waitForAgentExit(limitSeconds: Double = 60) throws -> Int32 {
    try waitFor(limitSeconds: limitSeconds) { !isRunning }
    return exitStatus ?? -1
  }

  func terminate() {
    if pid > 1 && isRunning { kill(pid, SIGTERM) }
  }

  func stop() {
    guard pid > 1, isRunning else { return }
    kill(pid, SIGTERM)
    _ = try? waitForAgentExit(limitSeconds: 20)
    if isRunning {
      kill(pid, SIGKILL)
      _ = Spawn.wait(pid)
    }
  }

  static func shell(_ runId: String, _ script: String, env: [String: String] = [:], timeout: Int? = nil) -> AgentJob {
    AgentJob(runId: runId, command: ["/bin/sh", "-c", script], env: env, timeoutSeconds: timeout)
  }
}
