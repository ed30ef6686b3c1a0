import Foundation
import PluginKit
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// The sample pipeline on `jobs.backend: slurm`, driven by the host as a user's run is.
@Suite(
  "the sample pipeline on slurm", .serialized, .enabled(if: SlurmSupport.available, "\(SlurmSupport.reason)"))
struct SlurmPipelineTests {
  @Test("end to end: outputs, logs, lineage and metrics, every stage a Slurm job")
  func samplePipeline() throws {
    let fixture = try SlurmSupport.sampleProject()
    let (pipelineRun, runs) = try SamplePipeline.run(fixture)
    #expect(pipelineRun.status == "completed", "\(pipelineRun.error ?? "")")
    #expect(runs.map(\.stage) == ["preprocess", "train", "evaluate"])
    #expect(
      runs.allSatisfy { $0.state == .awaitingUserFinalization },
      "\(runs.map { "\($0.stage): \($0.state) \($0.error ?? "")" })")
    #expect(runs.allSatisfy { $0.backend == "slurm" })
    let store = fixture.project.store
    #expect(try store.metrics(of: runs[1].id).filter { $0.name == "loss" }.count == 200)
    #expect(try store.metrics(of: runs[2].id).contains { $0.name == "mse" && $0.value < 0.01 })
    let report = try #require(try store.signals(of: runs[2].id).first { $0.signal == "report" })
    #expect(report.hash?.hasPrefix("sha256:") == true)
    // Each stage was a Slurm job: its submission record is in its folder, its log was stored.
    for run in runs {
      let work = try #require(run.workDir)
      let submitted = try JSONCoding.parse(try String(contentsOfFile: work + "/slurm-job.json", encoding: .utf8))
      #expect(submitted["job_id"]?.intValue != nil, "\(run.stage)")
    }
    let logs = Command.goldfish(["logs", runs[1].id], cwd: fixture.root)
    #expect(logs.stdout.contains("trained: a="), "\(logs.stdout)\n\(logs.stderr)")
    // Lineage: train and evaluate read what preprocess made.
    let consumers = try store.consumers(of: runs[0].id)
    #expect(Set(consumers.map(\.stageRunID)) == [runs[1].id, runs[2].id], "\(consumers)")
  }

  @Test("a stage past its max_runtime_seconds ends terminated with cause timeout")
  func stageTimeout() throws {
    let fixture = try SlurmSupport.sampleProject()
    try fixture.write("modules/preprocess.py", "import time\ntime.sleep(120)\n")
    try fixture.write("configs/preprocess.yaml", "compute:\n  profile: cpu-small\n  max_runtime_seconds: 3\n")
    let (pipelineRun, runs) = try SamplePipeline.run(fixture, ["preprocess"])
    #expect(pipelineRun.status == "failed" || pipelineRun.status == "terminated", "\(pipelineRun.status)")
    let run = try #require(runs.first)
    #expect(run.state == .terminated, "\(run.state) \(run.error ?? "")")
    #expect(run.terminationCause == "timeout", "\(run.terminationCause ?? "nil") \(run.error ?? "")")
  }

  @Test("scancel of a stage's job from outside Goldfish ends the run canceled")
  func scancelEndsRunCanceled() throws {
    let fixture = try SlurmSupport.sampleProject()
    try fixture.write("modules/preprocess.py", "import time\ntime.sleep(120)\n")
    let start = Command.goldfish(["run", "w1", "preprocess", "--reason", goodReason, "--json"], cwd: fixture.root)
    #expect(start.status == 0, "\(start.stderr)")
    let object = try #require(try start.json() as? [String: Any])
    let runID = try #require(
      (object["queued"] as? [[String: Any]])?.first { $0["stage"] as? String == "preprocess" }?["stage_run_id"]
        as? String)
    let deadline = Date().addingTimeInterval(60)
    while Date() < deadline, try fixture.project.store.stageRun(runID)?.state != .running { usleep(100_000) }
    let work = try #require(try fixture.project.store.stageRun(runID)?.workDir)
    let submitted = try JSONCoding.parse(try String(contentsOfFile: work + "/slurm-job.json", encoding: .utf8))
    let id = try #require(submitted["job_id"]?.intValue)
    #expect(SlurmSupport.tool(["/usr/bin/scancel", String(id)]).status == 0)
    let stopped = Date().addingTimeInterval(60)
    while Date() < stopped, try fixture.project.store.stageRun(runID)?.state.isTerminal != true { usleep(100_000) }
    #expect(try fixture.project.store.stageRun(runID)?.state == .canceled)
  }

  @Test("SIGKILL of the driver mid-run: the next goldfish command picks the Slurm job up again")
  func driverKilled() throws {
    let fixture = try SlurmSupport.sampleProject()
    try fixture.write(
      "modules/train.py",
      try String(contentsOfFile: SamplePipeline.samples + "/modules/train.py", encoding: .utf8)
        .replacingOccurrences(of: "config = get_config()", with: "import time\ntime.sleep(4)\nconfig = get_config()"))
    let start = Command.goldfish(["run", "w1", "--reason", goodReason, "--json"], cwd: fixture.root)
    #expect(start.status == 0, "\(start.stderr)")
    let object = try #require(try start.json() as? [String: Any])
    let pipelineRun = try #require(object["pipeline_run_id"] as? String)
    let deadline = Date().addingTimeInterval(90)
    while Date() < deadline {
      let seen = try fixture.project.store.stageRuns(ofPipelineRun: pipelineRun)
      if seen.contains(where: { $0.stage == "train" && $0.state == .running }) { break }
      usleep(50_000)
    }
    let found = Command.run(["/usr/bin/pgrep", "-f", "drive \(pipelineRun)"])
    let pids = found.stdout.split(separator: "\n").compactMap { Int32($0) }
    #expect(!pids.isEmpty, "no driver process was found")
    for pid in pids { kill(pid, SIGKILL) }
    usleep(200_000)
    #expect(try fixture.project.store.pipelineRun(pipelineRun)?.status == "running")
    try fixture.project.store.expireLeaseForTesting("pipeline-run:\(pipelineRun)")
    #expect(Command.goldfish(["runs"], cwd: fixture.root).status == 0)
    let finished = Date().addingTimeInterval(120)
    while Date() < finished, try fixture.project.store.pipelineRun(pipelineRun)?.status == "running" { usleep(100_000) }
    let runs = try fixture.project.store.stageRuns(ofPipelineRun: pipelineRun)
    #expect(
      runs.allSatisfy { $0.state == .awaitingUserFinalization },
      "\(runs.map { "\($0.stage) \($0.state) \($0.error ?? "")" })")
    #expect(runs.filter { $0.stage == "train" }.count == 1, "the train run was recovered, not submitted twice")
  }
}
