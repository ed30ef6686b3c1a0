import Foundation
import PluginKit
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// Every run has an owner and a deadline: the driver loads the very pipeline file `run`
/// validated (a `name:` is only a label), a run no driver can take further fails with what
/// stopped it, and drivers that keep dying are restarted a bounded number of times.
@Suite("runs never hang: drivers and their deadlines", .serialized)
struct RunOwnershipTests {
  static func renamePipeline(_ fixture: ProjectFixture, to name: String) throws {
    let path = fixture.slot("w1") + "/pipeline.yaml"
    let text = try String(contentsOfFile: path, encoding: .utf8)
    let quoted =
      "\"" + name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    try text.replacingOccurrences(of: "name: pipeline\n", with: "name: \(quoted)\n").write(
      toFile: path, atomically: true, encoding: .utf8)
  }

  @Test(
    "a pipeline's name: is a label: odd names run (or are refused by run), never hang",
    arguments: ["parity", "..", "has spaces", "ünïcødé 名前", String(repeating: "n", count: 300)])
  func nameIsALabel(name: String) throws {
    let fixture = try SamplePipeline.project()
    try Self.renamePipeline(fixture, to: name)
    let services = try ExecutionServices.open(fixture.project)
    let started: Executor.Started
    do {
      started = try Executor(services: services).start(
        RunRequest(target: "w1", stages: ["preprocess"], reason: goodReason))
    } catch {
      // Refused by run: then nothing may be left behind.
      #expect(try fixture.project.store.activePipelineRuns().isEmpty)
      return
    }
    let final = try PipelineDriver(services: services, pipelineRunID: started.pipelineRunID).drive()
    #expect(final.status == "completed", "\(final.error ?? "")")
    let runs = try fixture.project.store.stageRuns(ofPipelineRun: final.id)
    #expect(runs.map(\.state) == [.awaitingUserFinalization], "\(runs.map { $0.error ?? "" })")
    #expect(final.pipelineFile == "pipeline.yaml")
  }

  static let brokenPipelines: [String] = [
    "name: pipeline\nstages: 5\n",
    "name: pipeline\nstages: []\n",
    "name: pipeline\nstages:\n  - name: preprocess\n    inputs: not a mapping\n",
    "name: pipeline\nstages:\n  - name: preprocess\n    outputs: [1, 2]\n",
    "name: !!python/object:os.system pipeline\nstages:\n  - name: preprocess\n",
    "name: [a, b]\nstages:\n  - name: preprocess\n",
  ]

  @Test("a pipeline run refuses leaves no pipeline run running and no stage preparing", arguments: brokenPipelines)
  func refusedPipelineLeavesNothingRunning(text: String) throws {
    let fixture = try SamplePipeline.project()
    try fixture.write("pipeline.yaml", text)
    let services = try ExecutionServices.open(fixture.project)
    if let started = try? Executor(services: services).start(RunRequest(target: "w1", reason: goodReason)) {
      _ = try? PipelineDriver(services: services, pipelineRunID: started.pipelineRunID).drive()
    }
    #expect(try fixture.project.store.activePipelineRuns().isEmpty)
    #expect(try fixture.project.store.stageRuns(limit: 100).allSatisfy { $0.state.isSettled })
  }

  @Test("name: parity through the detached driver of `goldfish run` completes")
  func detachedDriverUsesTheValidatedFile() throws {
    let fixture = try SamplePipeline.project()
    try Self.renamePipeline(fixture, to: "parity")
    let started = Command.goldfish(["run", "w1", "preprocess", "--reason", goodReason, "--json"], cwd: fixture.root)
    #expect(started.status == 0, "\(started.stderr)")
    let id = try #require(try fixture.project.store.activePipelineRuns().first?.id)
    let ended = try FaultRunProject.eventually(120) {
      try fixture.project.store.pipelineRun(id)?.status != "running"
    }
    #expect(ended)
    let run = try #require(try fixture.project.store.pipelineRun(id))
    #expect(run.status == "completed", "\(run.error ?? "")")
    #expect(run.driverStarts == 1, "one driver, never restarted")
  }

  @Test("a driver that cannot load the pipeline fails the run and every stage with why, at once")
  func unloadablePipelineFailsTheRun() throws {
    let fixture = try SamplePipeline.project()
    let services = try ExecutionServices.open(fixture.project)
    let started = try Executor(services: services).start(RunRequest(target: "w1", reason: goodReason))
    let record = try #require(try fixture.project.store.pipelineRun(started.pipelineRunID))
    let codeDir = try #require(record.codeDir)
    // The code folder is read-only; a damaged disk or a hand edit is what this stands for.
    chmod(codeDir, 0o755)
    try FileManager.default.removeItem(atPath: codeDir + "/pipeline.yaml")
    #expect(throws: GoldfishError.self) {
      _ = try PipelineDriver(services: services, pipelineRunID: started.pipelineRunID).drive()
    }
    let after = try #require(try fixture.project.store.pipelineRun(started.pipelineRunID))
    #expect(after.status == "failed")
    #expect(after.error?.contains("could not be loaded") == true, "\(after.error ?? "")")
    let runs = try fixture.project.store.stageRuns(ofPipelineRun: started.pipelineRunID)
    #expect(runs.count == 3 && runs.allSatisfy { $0.state == .failed }, "\(runs.map(\.state))")
    #expect(runs.allSatisfy { $0.error?.contains("pipeline.yaml") == true }, "\(runs.map { $0.error ?? "" })")
  }

  @Test("a detached driver starts with no signal blocked or ignored that stops it: SIGTERM ends it")
  func detachedDriverTakesSIGTERM() throws {
    let faulty = try FaultRunProject()
    #expect(Command.goldfish(["run", "w1", "preprocess", "--reason", goodReason], cwd: faulty.root).status == 0)
    let id = try #require(try faulty.project.store.activePipelineRuns().first?.id)
    var driver: Int32?
    _ = FaultRunProject.eventually(60) {
      driver = Self.process(commandLineContaining: "drive\0\(id)")
      return driver != nil
    }
    let pid = try #require(driver)
    let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
    let blocked = status.split(separator: "\n").first { $0.hasPrefix("SigBlk:") }.map { String($0.dropFirst(7)) }
    #expect(
      blocked.flatMap { UInt64($0.trimmingCharacters(in: .whitespaces), radix: 16) }.map {
        $0 & (1 << (UInt64(SIGTERM) - 1))
      } == 0, "\(status)")
    kill(pid, SIGTERM)
    #expect(FaultRunProject.eventually(30) { kill(pid, 0) != 0 || Self.isZombie(pid) })
    _ = Command.goldfish(["cancel", id, "--reason", goodReason], cwd: faulty.root)
  }

  static func process(commandLineContaining text: String) -> Int32? {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap(Int32.init).first { pid in
      guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
      return String(decoding: data, as: UTF8.self).contains(text)
    }
  }

  static func isZombie(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
    return stat.split(separator: ")").last?.split(separator: " ").first == "Z"
  }

  @Test("drivers that keep crashing (an in-process plugin segfaults) are restarted a bounded number of times")
  func crashingDriverIsGivenUp() throws {
    let faulty = try FaultRunProject(statusFault: "crash")
    let started = Command.goldfish(["run", "w1", "preprocess", "--reason", goodReason], cwd: faulty.root)
    #expect(started.status == 0, "\(started.stderr)")
    let id = try #require(try faulty.project.store.activePipelineRuns().first?.id)
    // Each command finds the dead driver and restarts it (at most every 10 s) until the bound.
    let ended = try FaultRunProject.eventually(240) {
      _ = Command.goldfish(["runs"], cwd: faulty.root)
      return try faulty.project.store.pipelineRun(id)?.status != "running"
    }
    #expect(ended)
    let run = try #require(try faulty.project.store.pipelineRun(id))
    #expect(run.status == "failed")
    #expect(run.driverStarts == DriverLauncher.maxStarts)
    let stage = try #require(try faulty.project.store.stageRuns(ofPipelineRun: id).first)
    #expect(stage.state.isTerminal)
    let error = stage.error ?? ""
    #expect(error.contains("stopped \(DriverLauncher.maxStarts) times"), "\(error)")
    #expect(error.contains("SIGSEGV") && error.contains("fault-run") && error.contains("status"), "\(error)")
    #expect(run.error == error)
  }

  @Test("run(wait) through MCP returns the error that stopped a run whose drivers keep crashing")
  func mcpWaitReturnsTheError() throws {
    let faulty = try FaultRunProject(statusFault: "crash")
    let session = try MCPSession(project: faulty.root)
    defer { session.close() }
    session.callTool(
      id: 1, "run",
      [
        "workspace": "w1", "stages": ["preprocess"], "reason": goodReason, "wait": true, "wait_timeout_seconds": 240,
        "results_spec": SamplePipeline.resultsSpec,
      ])
    session.waitForResponses([1], seconds: 260)
    let answer = "\(try #require(session.responses[1], "\(session.transcript)"))"
    #expect(answer.contains("failed"), "\(answer)")
    #expect(answer.contains("stopped \(DriverLauncher.maxStarts) times") && answer.contains("SIGSEGV"), "\(answer)")
    let pid = session.process.processIdentifier
    #expect(FaultRunProject.eventually(20) { Self.zombieChildren(of: pid).isEmpty })
  }

  @Test("goldfish serve reaps the drivers it starts: no zombie children")
  func serveReapsDrivers() throws {
    let fixture = try SamplePipeline.project()
    let session = try MCPSession(project: fixture.root)
    defer { session.close() }
    session.callTool(
      id: 1, "run",
      [
        "workspace": "w1", "stages": ["preprocess"], "reason": goodReason, "wait": true,
        "results_spec": SamplePipeline.resultsSpec,
      ])
    session.waitForResponses([1], seconds: 180)
    let answer = try #require(session.responses[1], "\(session.transcript)")
    #expect("\(answer)".contains("completed"), "\(answer)")
    let pid = session.process.processIdentifier
    // The driver ended with its run; give the reaper thread a moment to collect it.
    let reaped = FaultRunProject.eventually(20) { Self.zombieChildren(of: pid).isEmpty }
    #expect(reaped, "zombies: \(Self.zombieChildren(of: pid))")
  }

  static func zombieChildren(of parent: Int32) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap(Int32.init).filter { pid in
      guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let fields = stat.split(separator: ")").last?.split(separator: " "), fields.count > 2
      else { return false }
      return fields[0] == "Z" && Int32(fields[1]) == parent
    }
  }
}
