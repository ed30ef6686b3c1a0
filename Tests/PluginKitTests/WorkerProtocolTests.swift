import Foundation
import PluginKit
import PluginSupport
import Testing

@testable import GoldfishTestSupport

@Suite("warm worker protocol types and the file mailbox")
struct WorkerProtocolTests {
  @Test("§5.7 #6: every run key has exactly one runs/ segment and comes from that run's own id")
  func layoutHasOneRunsSegment() throws {
    for key in [
      try MailboxLayout.claimed(run: "stage-b2"), try MailboxLayout.log(run: "stage-b2"),
      try MailboxLayout.exit(run: "stage-b2"), try MailboxLayout.cancel(run: "stage-b2"),
      try MailboxLayout.outputsFolder(run: "stage-b2"),
    ] {
      #expect(key.hasPrefix("runs/stage-b2/"))
      #expect(key.split(separator: "/").filter { $0 == "runs" }.count == 1)
      try StorageKey.validate(key)
    }
    #expect(try MailboxLayout.job(worker: "w1", run: "stage-b2") == "workers/w1/jobs/stage-b2.json")
    #expect(try MailboxLayout.status(worker: "w1") == "workers/w1/status.json")
    #expect(MailboxLayout.runId(ofJobKey: "workers/w1/jobs/stage-b2.json") == "stage-b2")
    #expect(MailboxLayout.runId(ofJobKey: "workers/w1/jobs/.gf-tmp-x") == nil)
  }

  @Test(
    "ids that would add a path segment are refused", arguments: ["runs/x", "../x", "", ".hidden", "a b", "x/y", "-x"])
  func badIds(id: String) {
    #expect(throws: PluginError.self) { try MailboxLayout.exit(run: id) }
    #expect(throws: PluginError.self) { try MailboxLayout.status(worker: id) }
  }

  @Test(
    "§5.7 #7: an env key outside [A-Za-z_][A-Za-z0-9_]* fails the job before it starts",
    arguments: ["$(touch x)", "A B", "1A", "A=B", "", "A;B"])
  func badEnvKey(key: String) {
    let job = AgentJob(runId: "r1", command: ["/bin/true"], env: [key: "v", "GOOD": "1"])
    #expect(throws: PluginError.self) { try job.validate() }
  }

  @Test("§5.7 #8: timeout 0 is refused, absent means no limit")
  func timeoutZero() throws {
    #expect(throws: PluginError.self) {
      try AgentJob(runId: "r1", command: ["/bin/true"], timeoutSeconds: 0).validate()
    }
    try AgentJob(runId: "r1", command: ["/bin/true"]).validate()
    let config = AgentConfig(workerId: "w1", mailbox: "file:///tmp/x", workRoot: "/tmp/w", idleTimeoutSeconds: 0)
    #expect(throws: PluginError.self) { try config.validate() }
    var lifetime = AgentConfig(workerId: "w1", mailbox: "file:///tmp/x", workRoot: "/tmp/w")
    try lifetime.validate()
    lifetime.lifetimeSeconds = 0
    #expect(throws: PluginError.self) { try lifetime.validate() }
  }

  @Test("records use snake_case keys and round-trip")
  func snakeCase() throws {
    let exit = AgentExit(runId: "r1", exitCode: 3, terminationCause: .exit, finishedAt: "t", workerId: "w1")
    let text = try JSONCoding.encode(exit)
    #expect(text.contains("\"run_id\":\"r1\"") && text.contains("\"termination_cause\":\"exit\""))
    #expect(try JSONCoding.decode(AgentExit.self, from: text) == exit)
    #expect(exit.runStatus.state == .failed)
    let job = try JSONCoding.decode(
      AgentJob.self, from: #"{"run_id":"r1","command":["/bin/echo","hi"],"timeout_seconds":5,"env":{"A":"1"}}"#)
    #expect(job.timeoutSeconds == 5 && job.env == ["A": "1"] && job.inputs.isEmpty)
    let options = try JSONCoding.decode(
      WorkerOptions.self,
      from:
        #"{"keep_warm":true,"idle_timeout_seconds":60,"lifetime_seconds":600,"preserve_paths":["outputs/cache"],"worker_id":"w1"}"#
    )
    #expect(options.workerId == "w1" && options.lifetimeSeconds == 600 && options.preservePaths == ["outputs/cache"])
  }

  @Test("§5.7 #27: a preserve path covers only entries under its own root")
  func preservePathRoots() throws {
    let keep = try PreservePath("outputs/cache/model")
    #expect(keep.covers(["cache", "model"], under: .outputs))
    #expect(keep.covers(["cache", "model", "x"], under: .outputs))
    #expect(!keep.covers(["cache", "model"], under: .inputs))
    #expect(keep.leadsTo(["cache"], under: .outputs))
    #expect(!keep.covers(["cache"], under: .outputs))
    #expect(throws: PluginError.self) { try PreservePath("cache") }
    #expect(throws: PluginError.self) { try PreservePath("outputs/../etc") }
    #expect(throws: PluginError.self) { try PreservePath("tmp/x") }
  }

  @Test("the file mailbox stores, lists and deletes small objects and files")
  func fileMailbox() throws {
    let folder = TestEnvironment.temporaryFolder("mailbox")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let store = try MailboxStores.open("file://" + folder)
    #expect(try store.get("workers/w1/status.json") == nil)
    try store.putJSON(try MailboxLayout.job(worker: "w1", run: "r2"), AgentJob(runId: "r2", command: ["/bin/true"]))
    try store.put("workers/w1/jobs/r1.json", Array("{}".utf8))
    #expect(try store.list("workers/w1/jobs") == ["workers/w1/jobs/r1.json", "workers/w1/jobs/r2.json"])
    #expect(try store.getJSON(AgentJob.self, "workers/w1/jobs/r2.json")?.runId == "r2")
    try store.delete("workers/w1/jobs/r1.json")
    try store.delete("workers/w1/jobs/r1.json")
    #expect(try store.list("workers") == ["workers/w1/jobs/r2.json"])
    #expect(try store.list("nothing-here") == [])
    FileManager.default.createFile(atPath: folder + "/local.txt", contents: Data("hello".utf8))
    try store.putFile("runs/r2/outputs/a.txt", from: folder + "/local.txt")
    try store.getFile("runs/r2/outputs/a.txt", to: folder + "/back.txt")
    #expect(try String(contentsOfFile: folder + "/back.txt", encoding: .utf8) == "hello")
    #expect(throws: PluginError.self) { try store.put("../escape", []) }
    #expect(throws: PluginError.self) { try MailboxStores.open("s3://bucket/x") }
  }
}
