import Foundation
import PluginKit
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// Endings that used to leak: a canceled run's backend `cleanup` and its log in storage, jobs
/// that nobody watched after a host died mid-launch, and reused runs that looked empty.
@Suite("cancel, orphans and reused runs", .serialized)
struct RunEndingTests {
  /// Where the file storage keeps runs/<id>/logs/output.log.
  static func storedLog(_ project: Project, _ runID: String) throws -> String? {
    let services = try ExecutionServices.open(project)
    let uri = try #require(
      try services.storage.call("uri_for", ["key": .string("runs/\(runID)/logs/output.log")])["uri"]?.stringValue)
    return try? String(contentsOfFile: String(uri.dropFirst("file://".count)), encoding: .utf8)
  }

  static func waitUntilRunning(_ project: Project, _ stage: String) throws -> StageRunRecord? {
    var found: StageRunRecord?
    _ = try FaultRunProject.eventually(120) {
      found = try project.store.stageRuns(stage: stage, limit: 1).first
      return found?.state == .running || found?.state.isSettled == true
    }
    return found
  }

  @Test("cancel calls the backend's cleanup and stores the log, like every other ending (fixture plugin)")
  func cancelCleansUpThroughAPlugin() throws {
    let faulty = try FaultRunProject()
    #expect(Command.goldfish(["run", "w1", "preprocess", "--reason", goodReason], cwd: faulty.root).status == 0)
    let run = try #require(try Self.waitUntilRunning(faulty.project, "preprocess"))
    #expect(run.state == .running)
    let canceled = Command.goldfish(["cancel", run.id, "--reason", goodReason], cwd: faulty.root)
    #expect(canceled.status == 0, "\(canceled.stderr)")
    #expect(try faulty.project.store.stageRun(run.id)?.state == .canceled)
    #expect(faulty.called("cancel", run.id) && faulty.called("cleanup", run.id), "\(faulty.lines)")
    #expect(try Self.storedLog(faulty.project, run.id)?.contains("faultrun log of \(run.id)") == true)
  }

  /// The cancel and the run's driver both store the log of a run that ends by cancel. Neither
  /// may ever leave, or upload, a copy the other has just emptied.
  @Test("two parties storing one run's log at once never leave it empty or partial, locally or in storage")
  func concurrentLogStoresStayWhole() throws {
    let faulty = try FaultRunProject()
    #expect(Command.goldfish(["run", "w1", "preprocess", "--reason", goodReason], cwd: faulty.root).status == 0)
    let run = try #require(try Self.waitUntilRunning(faulty.project, "preprocess"))
    let handle = try #require(run.backendHandle.flatMap { try? JSONCoding.parse($0) })
    let local = RunLayout.runLog(workDir: try #require(run.workDir))
    let whole = "faultrun log of \(run.id)\n"
    let services = try ExecutionServices.open(faulty.project)
    let stored = try #require(
      try services.storage.call("uri_for", ["key": .string(RunLayout.logKey(run.id))])["uri"]?.stringValue)
    let storedPath = String(stored.dropFirst("file://".count))
    let seen = LockedLines()
    let writersDone = ManagedFlag()
    let readerDone = ManagedFlag()
    let reader = Thread {
      while !writersDone.isSet {
        for path in [local, storedPath] {
          guard let text = try? String(contentsOfFile: path, encoding: .utf8), text != whole else { continue }
          seen.append("\(path): \(text.debugDescription)")
        }
      }
      readerDone.set()
    }
    reader.start()
    let tails = LockedLines()
    DispatchQueue.concurrentPerform(iterations: 8) { _ in
      let finalizer = StageFinalizer(services: services)
      for _ in 0..<40 { tails.append(finalizer.storeLogs(run, handle: handle)) }
    }
    writersDone.set()
    while !readerDone.isSet { usleep(1_000) }
    let torn = seen.lines
    #expect(torn.count == 0, "read emptied or partial copies, e.g. \(torn.prefix(3))")
    let expectedTail = whole.trimmingCharacters(in: .newlines)
    let wrongTails = tails.lines.filter { $0 != expectedTail }
    #expect(wrongTails.count == 0, "storeLogs answered other last lines, e.g. \(wrongTails.prefix(3))")
    #expect(try String(contentsOfFile: storedPath, encoding: .utf8) == whole)
    _ = Command.goldfish(["cancel", run.id, "--reason", goodReason], cwd: faulty.root)
  }

  @Test("cancel on the process backend stores the job's log in storage")
  func cancelStoresTheProcessLog() throws {
    let fixture = try SamplePipeline.project()
    try fixture.write(
      "modules/preprocess.py", "import time\nprint('started and waiting', flush=True)\ntime.sleep(600)\n")
    #expect(Command.goldfish(["run", "w1", "preprocess", "--reason", goodReason], cwd: fixture.root).status == 0)
    let run = try #require(try Self.waitUntilRunning(fixture.project, "preprocess"))
    let services = try ExecutionServices.open(fixture.project)
    _ = FaultRunProject.eventually(60) {
      (try? RunQueries(services: services).logs(run.id).text.contains("started and waiting")) == true
    }
    let canceled = Command.goldfish(["cancel", run.id, "--reason", goodReason], cwd: fixture.root)
    #expect(canceled.status == 0, "\(canceled.stderr)")
    #expect(try Self.storedLog(fixture.project, run.id)?.contains("started and waiting") == true)
    // cleanup released the job: the backend no longer lists it.
    let listed = try services.backend.call("list_runs", ["labels": ["goldfish-run": .string(run.id)]])
    #expect(listed["runs"]?.arrayValue?.isEmpty == true, "\(listed)")
  }

  @Test("a job launched just before the host died is adopted by the next driver, found by its labels")
  func orphanAdopted() throws {
    // recover cannot find the job from the provisional handle, as with a cloud backend whose
    // job id only the launch answer carries: only list_runs finds it.
    let faulty = try FaultRunProject(recoverFault: "not_found")
    let crashed = Command.goldfish(
      ["run", "w1", "preprocess", "--reason", goodReason, "--wait"],
      environment: ["GOLDFISH_FAULT_POINT": "after_launch_before_handle"],
      cwd: faulty.root)
    #expect(crashed.status == SIGKILL, "\(crashed.stderr)")
    let run = try #require(try faulty.project.store.stageRuns(stage: "preprocess", limit: 1).first)
    #expect(run.state == .launching)
    #expect(faulty.called("launch", run.id))
    _ = Command.goldfish(["runs"], cwd: faulty.root)
    let adopted = try Self.waitUntilRunning(faulty.project, "preprocess")
    #expect(adopted?.state == .running, "\(adopted?.error ?? "")")
    #expect(adopted?.backendHandle?.contains("job-\(run.id)") == true, "the backend's own handle, listed")
    _ = Command.goldfish(["cancel", run.id, "--reason", goodReason], cwd: faulty.root)
    #expect(faulty.called("cleanup", run.id))
  }

  @Test("a job whose run already ended is stopped and released by the next driver")
  func orphanOfAnEndedRunStopped() throws {
    let faulty = try FaultRunProject(recoverFault: "not_found")
    let crashed = Command.goldfish(
      ["run", "w1", "preprocess", "--reason", goodReason, "--wait"],
      environment: ["GOLDFISH_FAULT_POINT": "after_launch_before_handle"],
      cwd: faulty.root)
    #expect(crashed.status == SIGKILL, "\(crashed.stderr)")
    let orphan = try #require(try faulty.project.store.stageRuns(stage: "preprocess", limit: 1).first)
    // What a host without list_runs recorded: launch failed, while the job went on.
    try faulty.project.store.transition(
      orphan.id, .launchFail, TransitionContext(source: "test", reason: "recover found nothing"))
    try faulty.project.store.finishPipelineRun(try #require(orphan.pipelineRunID), status: "failed", error: "x")
    #expect(!faulty.called("cancel", orphan.id))
    // Any later run's driver sweeps the project's jobs.
    let next = Command.goldfish(["run", "w1", "preprocess", "--reason", goodReason], cwd: faulty.root)
    #expect(next.status == 0, "\(next.stderr)")
    let swept = FaultRunProject.eventually(60) { faulty.called("cleanup", orphan.id) }
    #expect(swept, "\(faulty.lines)")
    #expect(faulty.called("cancel", orphan.id))
    // The fixture's jobs run until canceled: end the later run so its driver exits.
    for run in try faulty.project.store.activePipelineRuns() {
      _ = Command.goldfish(["cancel", run.id, "--reason", goodReason], cwd: faulty.root)
    }
  }

  @Test("logs and inspect of a reused run say where it was reused from and show that run's log")
  func reusedRunShowsItsOrigin() throws {
    let fixture = try SamplePipeline.project()
    try fixture.write(
      "modules/preprocess.py", try #require(fixture.read("modules/preprocess.py")) + "\nprint('preprocess ran here')\n")
    let (_, first) = try SamplePipeline.run(fixture, ["preprocess"])
    let (_, second) = try SamplePipeline.run(fixture, ["preprocess"])
    let origin = try #require(first.first?.id)
    let reused = try #require(second.first)
    #expect(reused.reusedFrom == origin)
    let logs = Command.goldfish(["logs", reused.id], cwd: fixture.root)
    #expect(logs.stdout.contains("reused from \(origin)"), "\(logs.stdout)")
    #expect(logs.stdout.contains("preprocess ran here"), "\(logs.stdout)")
    let tail = Command.goldfish(["logs", reused.id, "--tail", "5"], cwd: fixture.root)
    #expect(tail.stdout.contains("reused from \(origin)") && tail.stdout.contains("preprocess ran here"))
    let inspect = Command.goldfish(["inspect", reused.id], cwd: fixture.root)
    #expect(inspect.stdout.contains("was reused from \(origin)"), "\(inspect.stdout)")

    let session = try MCPSession(project: fixture.root)
    defer { session.close() }
    session.callTool(id: 1, "logs", ["run_id": reused.id])
    session.callTool(id: 2, "inspect_run", ["run_id": reused.id])
    session.waitForResponses([1, 2], seconds: 60)
    let mcpLogs = "\(session.responses[1] ?? [:])"
    #expect(mcpLogs.contains("preprocess ran here") && mcpLogs.contains(origin), "\(mcpLogs)")
    let mcpInspect = "\(session.responses[2] ?? [:])"
    #expect(mcpInspect.contains("was reused from \(origin)"), "\(mcpInspect)")
  }
}

/// Lines several threads append to.
final class LockedLines: @unchecked Sendable {
  private let lock = NSLock()
  private var stored: [String] = []
  var lines: [String] { lock.withLock { stored } }
  func append(_ line: String) { lock.withLock { stored.append(line) } }
}
