import Foundation
import PluginKit
import PluginSupport
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// SIGKILL of the host at each named point of a run's life (GOLDFISH_FAULT_POINT), then one
/// ordinary goldfish command: the run must end truthfully, with every record and artifact
/// exactly once and no process of its job left behind.
@Suite("host killed at each point of a run's life")
struct FaultInjectionTests {
  /// The sample project; preprocess sleeps first so a poll sees it running.
  static func project(sleep seconds: Int = 1) throws -> ProjectFixture {
    let fixture = try SamplePipeline.project()
    let original = try String(contentsOfFile: SamplePipeline.samples + "/modules/preprocess.py", encoding: .utf8)
    try fixture.write("modules/preprocess.py", "import time\ntime.sleep(\(seconds))\n" + original)
    return fixture
  }

  static func crash(_ arguments: [String], at point: FaultPoint, in fixture: ProjectFixture) -> CommandResult {
    Command.goldfish(arguments, environment: [FaultPoint.environmentVariable: point.rawValue], cwd: fixture.root)
  }

  static let recoverablePoints: [FaultPoint] = [
    .beforeLaunch, .afterLaunchBeforeHandle, .afterHandleSaved, .whileRunning, .afterCompletionBeforeFinalize,
    .midwayOutputs, .afterOutputsBeforeMetrics, .afterFinalStateBeforeStateMD,
  ]

  @Test("every fault point has a test, and an unknown point name is inert")
  func coverage() {
    let tested = Set(Self.recoverablePoints + [.afterVersionBeforeLaunch, .duringCancel])
    #expect(tested == Set(FaultPoint.allCases), "untested: \(Set(FaultPoint.allCases).subtracting(tested))")
    let fixture = try? ProjectFixture()
    let result = Command.goldfish(
      ["runs"], environment: [FaultPoint.environmentVariable: "no_such_point"], cwd: fixture?.root)
    #expect(result.status == 0, "\(result.stderr)")
  }

  @Test(
    "killed mid-run, the next `goldfish runs` finishes it: completed, every record once, no process left",
    arguments: recoverablePoints)
  func killedThenRecovered(point: FaultPoint) throws {
    let fixture = try Self.project()
    let forensics = RunForensics(fixture: fixture)
    let crashed = Self.crash(["run", "w1", "preprocess", "--reason", goodReason, "--wait"], at: point, in: fixture)
    #expect(crashed.status == SIGKILL, "goldfish run was to die at \(point.rawValue): \(crashed.stderr)")
    #expect(crashed.stderr.contains("fault point \(point.rawValue) reached"), "\(crashed.stderr)")
    let pipelineRunID = try #require(try forensics.pipelineRunIDs().first)
    #expect(try forensics.pipelineRunIDs().count == 1)
    if point == .afterFinalStateBeforeStateMD {
      #expect(try fixture.project.store.pipelineRun(pipelineRunID)?.status == "completed")
      let stale = try String(contentsOfFile: fixture.project.paths.stateMD, encoding: .utf8)
      #expect(!stale.contains("None running."), "the kill came before STATE.md caught up")
    }

    // Any ordinary command notices the dead driver and resumes the run.
    let recovery = Command.goldfish(["runs"], cwd: fixture.root)
    #expect(recovery.status == 0 && recovery.stderr.isEmpty, "\(recovery.stderr)")
    let final = try #require(try forensics.waitUntilFinished(pipelineRunID))
    #expect(final.status == "completed", "\(final.error ?? "")")

    let runs = try fixture.project.store.stageRuns(ofPipelineRun: pipelineRunID)
    let run = try #require(runs.first)
    #expect(runs.count == 1)
    #expect(run.state == .awaitingUserFinalization, "\(run.state) \(run.error ?? "")")
    let id = run.id
    #expect(try forensics.count("SELECT COUNT(*) FROM stage_runs WHERE pipeline_run_id = ?", [pipelineRunID]) == 1)
    #expect(
      try forensics.count(
        "SELECT COUNT(*) FROM stage_state_transitions WHERE stage_run_id = ? AND to_state = 'running'", [id]) == 1,
      "launched once")
    #expect(
      try forensics.count(
        "SELECT COUNT(*) FROM stage_state_transitions WHERE stage_run_id = ? AND to_state = 'awaiting_user_finalization'",
        [id]) == 1)
    #expect(try fixture.project.store.runResults(id)?.infraOutcome == .completed, "recorded with the ending, once")
    #expect(
      try forensics.count("SELECT COUNT(*) FROM signal_lineage WHERE stage_run_id = ? AND direction = 'output'", [id])
        == 1)
    #expect(
      try forensics.count("SELECT COUNT(*) FROM signal_lineage WHERE stage_run_id = ? AND direction = 'input'", [id])
        == 1)
    #expect(try forensics.count("SELECT COUNT(*) FROM run_metrics WHERE stage_run_id = ? AND name = 'rows'", [id]) == 1)
    #expect(forensics.storedOutputObjects(of: id) == ["features"])
    let output = try #require(try fixture.project.store.signals(of: id).first { $0.direction == "output" })
    let stored = try Data(contentsOf: URL(fileURLWithPath: String(try #require(output.uri).dropFirst("file://".count))))
    #expect(
      output.hash == "sha256:" + SHA256Hasher.hex(of: [UInt8](stored)), "the recorded hash is the stored object's")
    #expect(RunForensics.processes(of: run).isEmpty, "processes of \(id) still alive")

    // STATE.md agrees with the database once a command has looked.
    #expect(Command.goldfish(["runs"], cwd: fixture.root).status == 0)
    let stateMD = try String(contentsOfFile: fixture.project.paths.stateMD, encoding: .utf8)
    #expect(stateMD.contains("None running."), "\(stateMD)")
  }

  @Test("killed after versioning and before any run is recorded: a version and nothing else, and the next run works")
  func killedAfterVersion() throws {
    let fixture = try Self.project()
    let forensics = RunForensics(fixture: fixture)
    let crashed = Self.crash(
      ["run", "w1", "preprocess", "--reason", goodReason, "--wait"], at: .afterVersionBeforeLaunch, in: fixture)
    #expect(crashed.status == SIGKILL, "\(crashed.stderr)")
    #expect(try forensics.pipelineRunIDs().isEmpty)
    #expect(try forensics.count("SELECT COUNT(*) FROM stage_runs") == 0)
    let versions = try fixture.project.store.versions(of: "line")
    #expect(versions.count == 1)
    for version in versions {
      #expect(
        try fixture.project.repository.tagTarget(version.tag)?.hex == version.sha,
        "tag \(version.tag) and its row agree")
    }
    #expect(Command.goldfish(["runs"], cwd: fixture.root).status == 0)

    let again = Command.goldfish(["run", "w1", "preprocess", "--reason", goodReason, "--wait"], cwd: fixture.root)
    #expect(again.status == 0, "\(again.stdout)\(again.stderr)")
    #expect(try fixture.project.store.versions(of: "line").count == 1, "the unchanged slot keeps its version")
    #expect(try forensics.count("SELECT COUNT(*) FROM stage_runs WHERE state = 'awaiting_user_finalization'") == 1)
  }

  @Test("killed in the middle of a cancel: the job is stopped and the run ends canceled, not left running")
  func killedDuringCancel() throws {
    let fixture = try Self.project(sleep: 120)
    let start = Command.goldfish(["run", "w1", "preprocess", "--reason", goodReason, "--json"], cwd: fixture.root)
    #expect(start.status == 0, "\(start.stderr)")
    let object = try #require(try start.json() as? [String: Any])
    let pipelineRunID = try #require(object["pipeline_run_id"] as? String)
    let runID = try #require(
      (object["queued"] as? [[String: Any]])?.first { $0["stage"] as? String == "preprocess" }?["stage_run_id"]
        as? String)
    let deadline = Date().addingTimeInterval(60)
    while Date() < deadline, try fixture.project.store.stageRun(runID)?.state != .running { usleep(50_000) }
    #expect(try fixture.project.store.stageRun(runID)?.state == .running)

    let cancel = Self.crash(["cancel", runID, "--reason", goodReason], at: .duringCancel, in: fixture)
    #expect(cancel.status == SIGKILL, "\(cancel.stderr)")
    #expect(Command.goldfish(["runs"], cwd: fixture.root).status == 0)
    let final = try #require(try RunForensics(fixture: fixture).waitUntilFinished(pipelineRunID))
    #expect(final.status == "failed")
    let run = try #require(try fixture.project.store.stageRun(runID))
    #expect(run.state == .canceled, "\(run.state) \(run.error ?? "")")
    #expect(RunForensics.processes(of: run).isEmpty, "the canceled job's processes are gone")
  }

  @Test("a driver killed while an MCP server runs is resumed by the server's next tool calls")
  func driverKilledUnderServer() throws {
    let fixture = try Self.project(sleep: 2)
    let session = try MCPSession(project: fixture.root)
    defer { session.close() }
    session.callTool(
      id: 1, "run",
      [
        "workspace": "w1", "stages": ["preprocess"], "reason": goodReason,
        "results_spec": SamplePipeline.resultsSpec,
      ])
    session.waitForResponses([1], seconds: 60)
    let content = try #require(
      (session.responses[1]?["result"] as? [String: Any])?["structuredContent"] as? [String: Any])
    let pipelineRunID = try #require(content["pipeline_run_id"] as? String, "\(content)")
    var driver: [Int32] = []
    let deadline = Date().addingTimeInterval(60)
    while Date() < deadline {
      driver = RunForensics.drivers(of: pipelineRunID)
      if !driver.isEmpty, try fixture.project.store.stageRuns(ofPipelineRun: pipelineRunID).first?.state == .running {
        break
      }
      usleep(50_000)
    }
    let pid = try #require(driver.first, "no driver process found for \(pipelineRunID)")
    #expect(kill(pid, SIGKILL) == 0)
    // The agent keeps talking to the same server; nothing else runs a goldfish command.
    var id = 2
    let finished = Date().addingTimeInterval(90)
    while Date() < finished, try fixture.project.store.pipelineRun(pipelineRunID)?.status == "running" {
      session.callTool(id: id, "list_runs", [:])
      id += 1
      usleep(500_000)
    }
    let runs = try fixture.project.store.stageRuns(ofPipelineRun: pipelineRunID)
    #expect(try fixture.project.store.pipelineRun(pipelineRunID)?.status == "completed")
    #expect(
      runs.count == 1 && runs.first?.state == .awaitingUserFinalization,
      "\(runs.map { "\($0.state) \($0.error ?? "")" })")
    let forensics = RunForensics(fixture: fixture)
    #expect(
      try forensics.count(
        "SELECT COUNT(*) FROM stage_state_transitions WHERE stage_run_id = ? AND to_state = 'running'",
        [runs.first?.id ?? ""]) == 1)
  }

  @Test("a storage that refuses writes fails the run with the storage's reason, and the host goes on")
  func storageFailure() throws {
    let fixture = try Self.project(sleep: 0)
    let forensics = RunForensics(fixture: fixture)
    // `runs` as a plain file: every object below it fails to be written.
    let storage = fixture.project.paths.devDir + "/storage"
    try FileManager.default.createDirectory(atPath: storage, withIntermediateDirectories: true)
    try "in the way".write(toFile: storage + "/runs", atomically: true, encoding: .utf8)
    let run = Command.goldfish(["run", "w1", "preprocess", "--reason", goodReason, "--wait"], cwd: fixture.root)
    #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
    let stageRun = try #require(try fixture.project.store.stageRuns(stage: "preprocess").first)
    #expect(stageRun.state == .failed)
    #expect(stageRun.error?.contains("cannot store output file") == true, "\(stageRun.error ?? "")")
    #expect(
      try forensics.count("SELECT COUNT(*) FROM signal_lineage WHERE direction = 'output'") == 0,
      "nothing half-recorded")
    #expect(stageRun.outputs == nil)
    #expect(RunForensics.processes(of: stageRun).isEmpty)
    // The host is still usable: the next commands answer normally.
    let runs = Command.goldfish(["runs"], cwd: fixture.root)
    #expect(runs.status == 0 && runs.stdout.contains(stageRun.id), "\(runs.stderr)")
    try FileManager.default.removeItem(atPath: storage + "/runs")
    let retry = Command.goldfish(
      ["run", "w1", "preprocess", "--reason", goodReason, "--wait", "--rerun"], cwd: fixture.root)
    #expect(retry.status == 0, "\(retry.stdout)\(retry.stderr)")
  }
}
