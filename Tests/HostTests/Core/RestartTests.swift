import Foundation
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// Killing goldfish in the middle of a run loses nothing.
@Suite("restart safety", .serialized)
struct RestartTests {
  @Test("SIGKILL of the driver mid-run: the next goldfish command resumes and finishes the run")
  func driverKilled() throws {
    let fixture = try SamplePipeline.project()
    try fixture.write(
      "modules/train.py",
      try String(contentsOfFile: SamplePipeline.samples + "/modules/train.py", encoding: .utf8)
        .replacingOccurrences(of: "config = get_config()", with: "import time\ntime.sleep(2)\nconfig = get_config()"))
    let start = Command.goldfish(["run", "w1", "--reason", goodReason, "--json"], cwd: fixture.root)
    #expect(start.status == 0, "\(start.stderr)")
    let object = try #require(try start.json() as? [String: Any])
    let pipelineRun = try #require(object["pipeline_run_id"] as? String)
    // Wait until train runs, then kill its driver with SIGKILL.
    let deadline = Date().addingTimeInterval(30)
    while Date() < deadline {
      let seen = try fixture.project.store.stageRuns(ofPipelineRun: pipelineRun)
      if seen.contains(where: { $0.stage == "train" && $0.state == .running }) { break }
      usleep(50_000)
    }
    let drivers = Command.run(["/usr/bin/pkill", "-KILL", "-f", "drive \(pipelineRun)"])
    #expect(drivers.status == 0, "no driver process was found to kill")
    usleep(200_000)
    #expect(try fixture.project.store.pipelineRun(pipelineRun)?.status == "running")
    // The lease of the dead driver expires; any goldfish command then resumes the run.
    try fixture.project.store.expireLeaseForTesting("pipeline-run:\(pipelineRun)")
    #expect(Command.goldfish(["runs"], cwd: fixture.root).status == 0)
    let finished = Date().addingTimeInterval(60)
    while Date() < finished, try fixture.project.store.pipelineRun(pipelineRun)?.status == "running" { usleep(100_000) }
    let runs = try fixture.project.store.stageRuns(ofPipelineRun: pipelineRun)
    #expect(
      runs.allSatisfy { $0.state == .awaitingUserFinalization },
      "\(runs.map { "\($0.stage) \($0.state) \($0.error ?? "")" })")
    #expect(runs.filter { $0.stage == "train" }.count == 1, "the train run was recovered, not launched twice")
    #expect(try fixture.project.store.signals(of: runs[2].id).contains { $0.signal == "report" })
  }

  @Test("cancel stops a running stage and only it")
  func cancel() throws {
    let fixture = try SamplePipeline.project()
    try fixture.write("modules/preprocess.py", "import time\ntime.sleep(60)\n")
    let start = Command.goldfish(["run", "w1", "preprocess", "--reason", goodReason, "--json"], cwd: fixture.root)
    let object = try #require(try start.json() as? [String: Any])
    let runID = try #require(
      (object["queued"] as? [[String: Any]])?.first { $0["stage"] as? String == "preprocess" }?["stage_run_id"]
        as? String)
    let deadline = Date().addingTimeInterval(30)
    while Date() < deadline, try fixture.project.store.stageRun(runID)?.state != .running { usleep(50_000) }
    let cancel = Command.goldfish(["cancel", runID, "--reason", goodReason], cwd: fixture.root)
    #expect(cancel.status == 0, "\(cancel.stderr)")
    let stopped = Date().addingTimeInterval(30)
    while Date() < stopped, try fixture.project.store.stageRun(runID)?.state.isTerminal != true { usleep(50_000) }
    #expect(try fixture.project.store.stageRun(runID)?.state == .canceled)
  }
}
