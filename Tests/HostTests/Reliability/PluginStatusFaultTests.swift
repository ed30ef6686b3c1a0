import Foundation
import PluginKit
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// A third-party run backend whose `status` answers badly: every failure is logged naming the
/// plugin, service and function; the run ends terminated (cause `error`) with the plugin's
/// message after a bounded number of failures or its timeout plus a grace period; a stuck call
/// is never joined by another for the same handle, and the threads left waiting are bounded.
@Suite("plugin status failures are visible and bounded")
struct PluginStatusFaultTests {
  /// The fault, and what the run's error must say of it.
  static let faults: [(String, String)] = [
    ("malformed", "invalid JSON"),
    ("null", "wrong shape"),
    ("wrong_types", "wrong shape"),
    ("missing_error", "without any detail"),
    ("error", "faultrun status exploded"),
  ]

  @Test(
    "a broken status ends the run terminated/error with the plugin's message, logged",
    arguments: faults)
  func brokenStatusEndsTheRun(fault: String, expected: String) throws {
    try Deadline.within(180) {
      let faulty = try FaultRunProject(statusFault: fault)
      let result = Command.goldfish(
        ["run", "w1", "preprocess", "--reason", goodReason, "--wait"], cwd: faulty.root)
      #expect(result.status != 0)
      let stage = try #require(try faulty.project.store.stageRuns(workspace: nil, stage: "preprocess", limit: 1).first)
      #expect(stage.state == .terminated, "\(stage.state) \(stage.error ?? "")")
      #expect(stage.terminationCause == "error")
      let error = stage.error ?? ""
      #expect(error.contains(expected) && error.contains("fault-run"), "\(error)")
      #expect(error.contains("\(PollWatch.maxConsecutiveFailures) calls in a row failed"), "\(error)")
      // Each failure was logged with plugin, service and function, on the driver's stderr.
      let logged = result.stderr.components(separatedBy: "faultrun.status of plugin fault-run failed").count - 1
      #expect(logged == PollWatch.maxConsecutiveFailures, "\(result.stderr)")
      #expect(result.stdout.contains(error.prefix(60)), "run --wait prints the error: \(result.stdout)")
      // The job was asked to stop, its log kept, and it was released.
      #expect(faulty.called("cancel", stage.id) && faulty.called("cleanup", stage.id), "\(faulty.lines)")
    }
  }

  @Test("a status that never answers ends the run after its timeout plus the grace period")
  func hungStatusEndsTheRun() throws {
    try Deadline.within(120) {
      let faulty = try FaultRunProject(statusFault: "hang", callTimeout: 1)
      let result = Command.goldfish(
        ["run", "w1", "preprocess", "--config", "compute.max_runtime_seconds=1", "--reason", goodReason, "--wait"],
        cwd: faulty.root)
      #expect(result.status != 0)
      let stage = try #require(try faulty.project.store.stageRuns(workspace: nil, stage: "preprocess", limit: 1).first)
      #expect(stage.state == .terminated && stage.terminationCause == "error", "\(stage.state)")
      #expect(stage.error?.contains("no good answer") == true, "\(stage.error ?? "")")
      #expect(stage.error?.contains("faultrun.status") == true, "\(stage.error ?? "")")
      #expect(result.stderr.contains("did not answer faultrun.status"), "the timeout is logged: \(result.stderr)")
      // While the first status call hangs, no second one is made for the same handle.
      #expect(faulty.lines.filter { $0.hasPrefix("status ") }.count == 1, "\(faulty.lines)")
      #expect(result.stderr.contains("call_stuck"), "the refused polls are logged too: \(result.stderr)")
    }
  }

  @Test(
    "a backend that reports running past the run's timeout plus grace: goldfish stops the run")
  func overdueRunIsStopped() throws {
    try Deadline.within(120) {
      let faulty = try FaultRunProject(statusFault: "none")
      let result = Command.goldfish(
        ["run", "w1", "preprocess", "--config", "compute.max_runtime_seconds=1", "--reason", goodReason, "--wait"],
        cwd: faulty.root)
      #expect(result.status != 0)
      let stage = try #require(try faulty.project.store.stageRuns(stage: "preprocess", limit: 1).first)
      #expect(stage.state == .terminated && stage.terminationCause == "timeout", "\(stage.state)")
      #expect(stage.error?.contains("past its timeout of 1 s") == true, "\(stage.error ?? "")")
      #expect(faulty.called("cancel", stage.id) && faulty.called("cleanup", stage.id), "\(faulty.lines)")
    }
  }

  @Test("a status call that hangs longer than the driver's 30 s lease does not let a second driver start")
  func hungCallKeepsTheLease() throws {
    let faulty = try FaultRunProject(statusFault: "hang", callTimeout: 60)
    #expect(Command.goldfish(["run", "w1", "preprocess", "--reason", goodReason], cwd: faulty.root).status == 0)
    let id = try #require(try faulty.project.store.activePipelineRuns().first?.id)
    #expect(FaultRunProject.eventually(60) { faulty.lines.contains { $0.hasPrefix("status ") } })
    // Past the lease's 30 s, with the driver still inside the status call.
    Thread.sleep(forTimeInterval: 35)
    #expect(Command.goldfish(["runs"], cwd: faulty.root).status == 0)
    #expect(try faulty.project.store.leaseIsFree("pipeline-run:\(id)") == false)
    #expect(try faulty.project.store.pipelineRun(id)?.driverStarts == 1, "no second driver")
    _ = Command.goldfish(["cancel", id, "--reason", goodReason], cwd: faulty.root)
  }

  @Test("stuck calls: none joins one for the same handle, and at most StuckCalls.limit threads wait")
  func stuckCallsAreBounded() throws {
    let calls = TestEnvironment.temporaryFolder("faultrun-stuck") + "/calls.log"
    let registry = PluginRegistry.load([.init(path: FaultRunProject.pluginPath, origin: "test")])
    let backend = try registry.open(
      .runBackend, "faultrun", config: ["status_fault": "hang", "calls_file": .string(calls)], callTimeout: 0.2,
      isolation: .inProcess)
    let handle: JSONValue = ["run_id": "stage-same", "backend": "faultrun"]
    let faults = (0..<20).map { _ in
      Self.fault { () throws(PluginCallError) in _ = try backend.call("status", ["handle": handle]) }
    }
    #expect(faults.first == .timedOut)
    #expect(faults.dropFirst().allSatisfy { $0 == .stuck }, "\(faults)")
    for index in 0..<20 {
      _ = try? backend.call("status", ["handle": ["run_id": .string("stage-other\(index)"), "backend": "faultrun"]])
    }
    // Every call that reached the plugin holds a thread: that number is the bound.
    let entered = ((try? String(contentsOfFile: calls, encoding: .utf8)) ?? "").split(separator: "\n")
    #expect(entered.count == StuckCalls.limit, "\(entered)")
    let refused = try #require(FaultStore.failure { _ = try backend.call("status", ["handle": handle]) })
    #expect(refused.fault == .stuck && refused.error.message.contains("faultrun.status"), "\(refused)")
  }

  static func fault(_ body: () throws(PluginCallError) -> Void) -> PluginCallError.Fault? {
    do {
      try body()
      return nil
    } catch {
      return error.fault
    }
  }
}
