import Foundation
import PluginKit
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// Run completion as an event: what wakes a waiter (a driver, MCP `wait`) and what must not.
/// A wait's timeout here is an hour: a wait that returns did so because something woke it.
@Suite("run completion wakes waiters")
struct RunEventTests {
  static let hour: TimeInterval = 3600

  @Test("a run's exit record renamed into its folder wakes the watcher; its log growing does not")
  func exitRecordWakes() throws {
    let folder = TestEnvironment.temporaryFolder("events")
    let events = FolderWatch()
    #expect(events.isEventDriven)
    events.watch(folder, names: PipelineDriver.exitRecordNames)
    // Output written to the log must not wake a driver that waits for the run to end.
    try Data("a line\n".utf8).write(to: URL(fileURLWithPath: folder + "/output.log"))
    #expect(events.wait(timeout: 0.2) == false)
    // goldfish-runner's way: write a temp file, then rename it to status.json.
    let writer = Thread {
      Thread.sleep(forTimeInterval: 0.05)
      try? Data("{}".utf8).write(to: URL(fileURLWithPath: folder + "/.status.json.tmp"))
      try? FileManager.default.moveItem(atPath: folder + "/.status.json.tmp", toPath: folder + "/status.json")
    }
    writer.start()
    #expect(events.wait(timeout: Self.hour) == true)
  }

  @Test("a change made before the wait began still wakes it")
  func changeBeforeWait() throws {
    let folder = TestEnvironment.temporaryFolder("events")
    let events = FolderWatch()
    events.watch(folder, names: ["status.json"])
    try Data("{}".utf8).write(to: URL(fileURLWithPath: folder + "/status.json"))
    #expect(events.wait(timeout: Self.hour) == true)
    // Seen once: the next wait sleeps its timeout.
    #expect(events.wait(timeout: 0.05) == false)
  }

  @Test("a commit to the project database by another connection wakes a database watcher")
  func databaseCommitWakes() throws {
    let fixture = try SamplePipeline.project()
    let events = FolderWatch()
    events.watchDatabase(fixture.project.paths.database)
    _ = events.wait(timeout: 0.05)  // whatever opening the project wrote
    let other = try ProjectStore.open(path: fixture.project.paths.database)
    let writer = Thread {
      Thread.sleep(forTimeInterval: 0.05)
      _ = try? other.acquireLease("test-event", seconds: 30)
    }
    writer.start()
    #expect(events.wait(timeout: Self.hour) == true)
  }

  @Test("interrupt ends a wait at once, and a watch on a folder that does not exist is skipped")
  func interruptAndMissingFolder() {
    let events = FolderWatch()
    events.watch(TestEnvironment.temporaryFolder("events") + "/not-there")
    let interrupter = Thread {
      Thread.sleep(forTimeInterval: 0.05)
      events.interrupt()
    }
    interrupter.start()
    #expect(events.wait(timeout: Self.hour) == true)
  }

  @Test("a driver on the process backend advances the moment a stage ends, with a poll that never fires")
  func driverAdvancesOnExit() throws {
    let fixture = try SamplePipeline.project()
    let services = try ExecutionServices.open(fixture.project)
    let started = try Executor(services: services).start(RunRequest(target: "w1", reason: goodReason))
    var driver = PipelineDriver(services: services, pipelineRunID: started.pipelineRunID)
    // A poll interval of an hour: only the runs' exit records can move this three-stage run on.
    driver.fastestPoll = Self.hour
    driver.slowestPoll = Self.hour
    let pipelineRun = try driver.drive()
    let runs = try fixture.project.store.stageRuns(ofPipelineRun: pipelineRun.id)
    #expect(pipelineRun.status == "completed", "\(pipelineRun.error ?? "")")
    #expect(runs.allSatisfy { $0.state == .awaitingUserFinalization })
  }
}
