import Foundation
import PluginKit
import PluginSupport
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// Warm reuse of the `process` backend through the real plugin, loaded by the host as a
/// project opens it: workers are real goldfish-agent processes over the project's mailbox.
@Suite("process backend warm reuse", .serialized)
struct ProcessWarmReuseTests {
  struct Backend {
    let fixture: ProjectFixture
    let service: OpenedService
    let runs: String

    init(goldfishYAML: String? = nil) throws {
      fixture = try ProjectFixture { root in
        if let goldfishYAML {
          try goldfishYAML.write(toFile: root + "/goldfish.yaml", atomically: true, encoding: .utf8)
        }
      }
      service = try ExecutionServices.open(fixture.project).backend
      runs = TestEnvironment.temporaryFolder("warm-runs")
    }

    func spec(_ runId: String, _ script: String, worker: WorkerOptions? = nil) -> RunSpec {
      let work = runs + "/" + runId
      return RunSpec(
        runId: runId, command: ["/bin/sh", "-c", script], workDir: work, outputsDir: work + "/outputs",
        worker: worker)
    }

    func call(_ function: String, _ request: JSONValue) throws -> JSONValue {
      try service.call(function, request)
    }

    func status(_ handle: JSONValue) throws -> RunStatus {
      try JSONCoding.convert(try call("status", ["handle": handle]), to: RunStatus.self)
    }

    func waitFinal(_ handle: JSONValue) throws -> RunStatus {
      let deadline = Date().addingTimeInterval(60)
      while Date() < deadline {
        let current = try status(handle)
        if current.state.isFinal { return current }
        usleep(50_000)
      }
      throw PluginError(.timeout, "run \(handle["run_id"] ?? nil) did not finish")
    }

    func logs(_ handle: JSONValue) throws -> String {
      try call("logs", ["handle": handle, "offset": 0])["text"]?.stringValue ?? ""
    }

    func probe(_ worker: JSONValue) throws -> WorkerProbe {
      try JSONCoding.convert(try call("probe_worker", ["worker": worker]), to: WorkerProbe.self)
    }

    func waitIdle(_ worker: JSONValue) throws {
      let deadline = Date().addingTimeInterval(30)
      while Date() < deadline {
        if try probe(worker).state == "idle" { return }
        usleep(50_000)
      }
      throw PluginError(.timeout, "worker never became idle")
    }
  }

  @Test("§5.7 #1 #11 #13: launch with keep_warm, a second job on the same worker, probe, delete confirmed")
  func launchDeliverProbeDelete() throws {
    let backend = try Backend()
    #expect(backend.service.info.capabilities["warm_reuse"]?.boolValue == true)
    let options = WorkerOptions(keepWarm: true, idleTimeoutSeconds: 600, workerId: "pw-1")
    let first = try backend.call(
      "launch",
      try JSONCoding.value(
        of: backend.spec("warm-1", "echo one; echo 1 > \"$GOLDFISH_OUTPUTS_DIR/o.txt\"", worker: options)))
    let worker = try #require(first["worker"])
    #expect(worker["worker_id"]?.stringValue == "pw-1")
    let firstStatus = try backend.waitFinal(first)
    #expect(firstStatus.state == .completed && firstStatus.exitCode == 0)
    #expect(try backend.logs(first) == "one\n")
    #expect(FileManager.default.fileExists(atPath: backend.runs + "/warm-1/outputs/o.txt"))
    // The worker stays up after its first job (a run on it is completed while it runs: #11).
    try backend.waitIdle(worker)
    let idle = try backend.probe(worker)
    #expect(idle.liveness == .alive)

    let delivered = try backend.call(
      "deliver_job", ["worker": worker, "spec": try JSONCoding.value(of: backend.spec("warm-2", "echo two; exit 4"))])
    let second = try #require(delivered["handle"])
    let secondStatus = try backend.waitFinal(second)
    #expect(secondStatus.state == .failed && secondStatus.exitCode == 4)
    #expect(try backend.logs(second) == "two\n")
    #expect(try backend.logs(first) == "one\n")
    // Same worker process for both runs.
    #expect(second["worker"]?["pid"] == worker["pid"])
    try backend.waitIdle(worker)

    let listed = try backend.call("list_workers", ["labels": [:]])["workers"]?.arrayValue ?? []
    #expect(listed.contains { $0["worker_id"]?.stringValue == "pw-1" })

    var confirmed = false
    for _ in 0..<50 where !confirmed {
      confirmed = try backend.call("delete_worker", ["worker": worker])["confirmed"]?.boolValue ?? false
    }
    #expect(confirmed)
    #expect(try backend.probe(worker).liveness == .notFound)
    #expect(try backend.call("delete_worker", ["worker": worker])["confirmed"]?.boolValue == true)
    // The runs' records outlive the worker.
    #expect(try backend.status(second).exitCode == 4)
  }

  @Test("§5.7 #29 #39: deliver to a busy worker is a conflict; cancel stops only that run; the worker survives")
  func busyConflictAndCancel() throws {
    let backend = try Backend()
    let options = WorkerOptions(keepWarm: true, workerId: "pw-2")
    let long = try backend.call(
      "launch", try JSONCoding.value(of: backend.spec("long-1", "echo up; sleep 300", worker: options)))
    let worker = try #require(long["worker"])
    let deadline = Date().addingTimeInterval(30)
    while try backend.logs(long).isEmpty && Date() < deadline { usleep(50_000) }
    #expect(try backend.status(long).state == .running)
    do {
      _ = try backend.call(
        "deliver_job", ["worker": worker, "spec": try JSONCoding.value(of: backend.spec("other", "echo no"))])
      Issue.record("delivering to a busy worker succeeded")
    } catch let error as PluginCallError {
      #expect(error.error.code == .conflict)
    }
    _ = try backend.call("cancel", ["handle": long, "reason": "user"])
    let canceled = try backend.waitFinal(long)
    #expect(canceled.state == .canceled)
    try backend.waitIdle(worker)
    let next = try #require(
      try backend.call(
        "deliver_job", ["worker": worker, "spec": try JSONCoding.value(of: backend.spec("after-cancel", "echo fine"))])[
          "handle"])
    #expect(try backend.waitFinal(next).state == .completed)
    // cleanup of a run never touches the worker.
    _ = try backend.call("cleanup", ["handle": next])
    #expect(try backend.probe(worker).liveness == .alive)
    var confirmed = false
    for _ in 0..<50 where !confirmed {
      confirmed = try backend.call("delete_worker", ["worker": worker])["confirmed"]?.boolValue ?? false
    }
    #expect(confirmed)
  }

  @Test("warm jobs keep the local sandbox: no write outside the run's folder; inputs are readable")
  func sandboxKept() throws {
    let backend = try Backend()
    let outside = TestEnvironment.temporaryFolder("warm-outside")
    let source = TestEnvironment.temporaryFolder("warm-input") + "/points.csv"
    try "1,2\n".write(toFile: source, atomically: true, encoding: .utf8)
    var spec = backend.spec(
      "sandboxed", "cat \"$GOLDFISH_INPUTS_DIR/points\"; echo x > \(outside)/escaped.txt || echo refused",
      worker: WorkerOptions(keepWarm: true, workerId: "pw-4"))
    spec.inputs = [RunInput(name: "points", type: "file", localPath: source)]
    spec.env = ["GOLDFISH_INPUTS_DIR": backend.fixture.root + "/.goldfish/warm/workers/pw-4/work/inputs"]
    let handle = try backend.call("launch", try JSONCoding.value(of: spec))
    #expect(try backend.waitFinal(handle).state == .completed)
    let log = try backend.logs(handle)
    #expect(log.hasPrefix("1,2\n"), "\(log)")
    #expect(!FileManager.default.fileExists(atPath: outside + "/escaped.txt"), "\(log)")
    #expect(log.contains("refused"))
    let worker = try #require(handle["worker"])
    var confirmed = false
    for _ in 0..<50 where !confirmed {
      confirmed = try backend.call("delete_worker", ["worker": worker])["confirmed"]?.boolValue ?? false
    }
    #expect(confirmed)
  }

  @Test("a warm job's setsid and double-forked children end with the job, while the worker stays")
  func jobProcessTreeEndsWithTheJob() throws {
    // Unsandboxed, so that only the agent's own walk (not bubblewrap's PID namespace) ends them.
    let backend = try Backend(goldfishYAML: "project_name: demo\nprocess:\n  sandbox: off\n")
    let marker = "4243.\(UInt32.random(in: 1000...999_999))"
    let handle = try backend.call(
      "launch",
      try JSONCoding.value(
        of: backend.spec(
          "tree",
          "setsid sleep \(marker)1 </dev/null >/dev/null 2>&1 & (sleep \(marker)2 </dev/null >/dev/null 2>&1 &); echo spawned",
          worker: WorkerOptions(keepWarm: true, idleTimeoutSeconds: 600, workerId: "pw-tree"))))
    #expect(try backend.waitFinal(handle).state == .completed)
    let worker = try #require(handle["worker"])
    try backend.waitIdle(worker)
    let survivors = StageIsolationTests.liveProcesses(containing: "sleep \(marker)")
    #expect(survivors.isEmpty, "outlived the job: \(survivors)")
    #expect(try backend.probe(worker).liveness == .alive, "the worker itself stays")
    for line in survivors { if let pid = Int32(line.prefix { $0 != ":" }) { kill(pid, SIGKILL) } }
    var confirmed = false
    for _ in 0..<50 where !confirmed {
      confirmed = try backend.call("delete_worker", ["worker": worker])["confirmed"]?.boolValue ?? false
    }
    #expect(confirmed)
  }

  @Test("a worker killed mid-job fails that run as lost, never leaves it running")
  func killedWorkerLosesTheRun() throws {
    let backend = try Backend()
    let handle = try backend.call(
      "launch",
      try JSONCoding.value(
        of: backend.spec("doomed", "echo up; sleep 60", worker: WorkerOptions(keepWarm: true, workerId: "pw-3"))))
    let worker = try #require(handle["worker"])
    let deadline = Date().addingTimeInterval(30)
    while try backend.logs(handle).isEmpty && Date() < deadline { usleep(50_000) }
    // Kill the agent and its supervisor outright: no chance to write an exit record.
    let status = try #require(try LocalWorkerProbe.agentStatus(worker))
    kill(status.agentPid, SIGKILL)
    kill(Int32(try #require(worker["pid"]?.intValue)), SIGKILL)
    let final = try backend.waitFinal(handle)
    #expect(final.state == .failed && final.terminationCause == .lost)
    #expect(try backend.probe(worker).liveness == .dead)
    #expect(try backend.call("delete_worker", ["worker": worker])["confirmed"]?.boolValue == true)
  }
}

enum LocalWorkerProbe {
  static func agentStatus(_ worker: JSONValue) throws -> AgentWorkerStatus? {
    let store = try FileMailboxStore(uri: try #require(worker["mailbox"]?.stringValue))
    return try store.getJSON(
      AgentWorkerStatus.self, MailboxLayout.status(worker: try #require(worker["worker_id"]?.stringValue)))
  }
}
