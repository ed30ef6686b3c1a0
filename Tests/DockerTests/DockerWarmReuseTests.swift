import Foundation
import PluginKit
import PluginSupport
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// Warm reuse of the `docker` backend through the real plugin and the private engine: a
/// worker is one long-lived container whose main process is goldfish-agent (run from the
/// agent bundle inside the stage image), fed through the project's mailbox.
@Suite(
  "docker backend warm reuse", .serialized,
  .enabled(if: DockerSupport.available, "needs DOCKER_HOST (scripts/docker-engine.sh)"))
struct DockerWarmReuseTests {
  let root = TestEnvironment.temporaryFolder("docker-warm")
  let service: OpenedService
  let engine = HTTPClient(unixSocket: DockerSupport.socket)

  init() throws {
    let registry = PluginRegistry.load([.init(path: TestEnvironment.plugin("GoldfishDocker"), origin: "test")])
    service = try registry.open(
      .runBackend, "docker", config: ["socket": .string(DockerSupport.socket)],
      context: ServiceContext(projectRoot: root, stateDir: root + "/.goldfish"))
  }

  var runs: String { root + "/.goldfish/runs" }

  func spec(
    _ runId: String, _ script: String, image: String = DockerSupport.image, worker: WorkerOptions? = nil
  ) -> RunSpec {
    let work = runs + "/" + runId
    return RunSpec(
      runId: runId, command: ["/bin/sh", "-c", script], workDir: work, outputsDir: work + "/outputs", image: image,
      labels: ["goldfish-project": "warm-test"], worker: worker)
  }

  func call(_ function: String, _ request: JSONValue) throws -> JSONValue { try service.call(function, request) }

  func launch(_ spec: RunSpec) throws -> JSONValue { try call("launch", try JSONCoding.value(of: spec)) }

  func deliver(_ worker: JSONValue, _ spec: RunSpec) throws -> JSONValue {
    try #require(try call("deliver_job", ["worker": worker, "spec": try JSONCoding.value(of: spec)])["handle"])
  }

  /// The error code deliver_job answers, or nil when it delivered.
  func deliveryRefusal(_ worker: JSONValue, _ spec: RunSpec) throws -> ErrorCode? {
    do {
      _ = try deliver(worker, spec)
      return nil
    } catch let error as PluginCallError {
      return error.error.code
    }
  }

  func status(_ handle: JSONValue) throws -> RunStatus {
    try JSONCoding.convert(try call("status", ["handle": handle]), to: RunStatus.self)
  }

  func waitFinal(_ handle: JSONValue) throws -> RunStatus {
    let deadline = Date().addingTimeInterval(90)
    while Date() < deadline {
      let current = try status(handle)
      if current.state.isFinal { return current }
      usleep(100_000)
    }
    throw PluginError(.timeout, "run \(handle["run_id"] ?? nil) did not finish")
  }

  func logs(_ handle: JSONValue) throws -> String {
    try call("logs", ["handle": handle, "offset": 0])["text"]?.stringValue ?? ""
  }

  func waitLogs(_ handle: JSONValue) throws {
    let deadline = Date().addingTimeInterval(60)
    while try logs(handle).isEmpty && Date() < deadline { usleep(100_000) }
  }

  func probe(_ worker: JSONValue) throws -> WorkerProbe {
    try JSONCoding.convert(try call("probe_worker", ["worker": worker]), to: WorkerProbe.self)
  }

  func waitIdle(_ worker: JSONValue) throws {
    let deadline = Date().addingTimeInterval(60)
    while Date() < deadline {
      if try probe(worker).state == "idle" { return }
      usleep(100_000)
    }
    throw PluginError(.timeout, "worker never became idle")
  }

  func delete(_ worker: JSONValue) throws -> Bool {
    for _ in 0..<20 {
      if try call("delete_worker", ["worker": worker])["confirmed"]?.boolValue == true { return true }
      usleep(200_000)
    }
    return false
  }

  /// Containers of this worker the engine knows, running or not.
  func containers(of workerId: String) throws -> Int {
    let filters = try JSONCoding.encode(
      JSONValue.object(["label": .array([.string("goldfish.warm-worker=\(workerId)")])]))
    let response = try engine.send(
      HTTPRequest("GET", "http://docker/v1.41/containers/json?all=1&filters=\(filters.queryEscapedForTest)"))
    return try response.json().arrayValue?.count ?? -1
  }

  func mailboxFile(_ key: String) -> String { root + "/.goldfish/warm/docker/mailbox/" + key }

  @Test("launch with keep_warm, a second job in the same container, its records under its own run, delete confirmed")
  func launchDeliverDelete() throws {
    #expect(service.info.capabilities["warm_reuse"]?.boolValue == true)
    let workerId = "dw-1-" + UUID().uuidString.prefix(6).lowercased()
    let first = try launch(
      spec(
        "dw1-first", "echo one; echo 1 > \"$GOLDFISH_OUTPUTS_DIR/o.txt\"",
        worker: WorkerOptions(keepWarm: true, workerId: workerId)))
    let worker = try #require(first["worker"])
    #expect(worker["worker_id"]?.stringValue == workerId)
    let firstStatus = try waitFinal(first)
    #expect(firstStatus.state == .completed && firstStatus.exitCode == 0, "\(firstStatus)")
    #expect(try logs(first) == "one\n")
    #expect(FileManager.default.fileExists(atPath: runs + "/dw1-first/outputs/o.txt"))
    try waitIdle(worker)
    #expect(try probe(worker).liveness == .alive)
    // The agent ran from its bundle: libcurl, never glibc's own libraries; the Swift runtime is
    // inside the agent itself (it is linked with -static-stdlib, issue #15).
    let warm = root + "/.goldfish/warm/docker"
    let bundles = try FileManager.default.contentsOfDirectory(atPath: warm).filter { $0.hasPrefix("agent-bundle-") }
    #expect(bundles.count == 1)
    let libraries = try FileManager.default.contentsOfDirectory(atPath: warm + "/" + (bundles.first ?? "") + "/lib")
    #expect(!libraries.contains("libswiftCore.so") && libraries.contains("libcurl.so.4"))
    #expect(!libraries.contains { $0.hasPrefix("libc.so") || $0.hasPrefix("ld-linux") || $0.hasPrefix("libm.so") })

    // The agent's own LD_LIBRARY_PATH (the bundle) never reaches a job, which runs in the
    // container (no network: only the loopback interface) with no capabilities.
    let second = try deliver(
      worker,
      spec(
        "dw1-second",
        "echo two; echo \"lib=${LD_LIBRARY_PATH:-unset}\"; ls /sys/class/net; grep CapEff /proc/self/status; exit 4"))
    let secondStatus = try waitFinal(second)
    #expect(secondStatus.state == .failed && secondStatus.exitCode == 4, "\(secondStatus)")
    #expect(try logs(second) == "two\nlib=unset\nlo\nCapEff:\t0000000000000000\n")
    #expect(try logs(first) == "one\n")
    #expect(FileManager.default.fileExists(atPath: mailboxFile("runs/dw1-second/exit.json")))
    #expect(FileManager.default.fileExists(atPath: mailboxFile("runs/dw1-second/logs/output.log")))
    // One container served both runs.
    #expect(try containers(of: workerId) == 1)
    #expect(second["worker"]?["container_id"] == worker["container_id"])

    let listed = try call("list_workers", ["labels": ["goldfish-project": "warm-test"]])["workers"]?.arrayValue ?? []
    #expect(listed.contains { $0["worker_id"]?.stringValue == workerId })
    let others = try call("list_workers", ["labels": ["goldfish-project": "another"]])["workers"]?.arrayValue ?? []
    #expect(!others.contains { $0["worker_id"]?.stringValue == workerId })

    try waitIdle(worker)
    #expect(try delete(worker))
    #expect(try containers(of: workerId) == 0)
    #expect(try probe(worker).liveness == .notFound)
    #expect(try call("delete_worker", ["worker": worker])["confirmed"]?.boolValue == true)
    // The runs' records outlive the worker.
    #expect(try status(second).exitCode == 4)
  }

  @Test("a job of another image, other limits or paths the container cannot see is a conflict; nothing is delivered")
  func incompatibleJobsConflict() throws {
    let workerId = "dw-2-" + UUID().uuidString.prefix(6).lowercased()
    let first = try launch(spec("dw2-first", "echo ready", worker: WorkerOptions(keepWarm: true, workerId: workerId)))
    let worker = try #require(first["worker"])
    #expect(try waitFinal(first).state == .completed)
    try waitIdle(worker)

    #expect(try deliveryRefusal(worker, spec("dw2-image", "echo no", image: "goldfish/other:1")) == .conflict)
    var limited = spec("dw2-limits", "echo no")
    limited.profile = ResourceProfile(memoryMb: 64)
    #expect(try deliveryRefusal(worker, limited) == .conflict)
    let outside = TestEnvironment.temporaryFolder("docker-warm-outside")
    var elsewhere = spec("dw2-outside", "echo no")
    elsewhere.workDir = outside + "/run"
    elsewhere.outputsDir = outside + "/run/outputs"
    #expect(try deliveryRefusal(worker, elsewhere) == .conflict)
    for runId in ["dw2-image", "dw2-limits", "dw2-outside"] {
      #expect(!FileManager.default.fileExists(atPath: mailboxFile("workers/\(workerId)/jobs/\(runId).json")))
    }
    // Still idle and usable: a compatible job runs.
    let fine = try deliver(worker, spec("dw2-fine", "echo fine"))
    #expect(try waitFinal(fine).state == .completed)
    #expect(try logs(fine) == "fine\n")
    #expect(try delete(worker))
  }

  @Test("inputs and the stage IO library are seen at their host paths; an input outside every mount is a conflict")
  func inputsAndLibrary() throws {
    let library = TestEnvironment.packageRoot + "/python"
    let stored = root + "/.local_gcs/objects/points.csv"  // under the project: mounted read-only
    try FileManager.default.createDirectory(atPath: root + "/.local_gcs/objects", withIntermediateDirectories: true)
    try "1,2\n".write(toFile: stored, atomically: true, encoding: .utf8)
    // Outside the project: mounted for the first job.
    let dataset = TestEnvironment.temporaryFolder("docker-warm-dataset") + "/labels.txt"
    try "cat\n".write(toFile: dataset, atomically: true, encoding: .utf8)

    func job(_ runId: String, input: String, worker: WorkerOptions? = nil) -> RunSpec {
      var job = spec(
        runId,
        "python3 -c 'import goldfish.io; print(\"io\")'; cat \"$GOLDFISH_INPUTS_DIR/data\"; "
          + "(echo x >> \"$GOLDFISH_INPUTS_DIR/data\") 2>/dev/null || echo read-only", worker: worker)
      job.env = ["PYTHONPATH": library, "GOLDFISH_PYTHON_PATH": library]
      job.inputs = [RunInput(name: "data", type: "file", localPath: input)]
      return job
    }
    let workerId = "dw-5-" + UUID().uuidString.prefix(6).lowercased()
    let first = try launch(job("dw5-first", input: dataset, worker: WorkerOptions(keepWarm: true, workerId: workerId)))
    let worker = try #require(first["worker"])
    #expect(try waitFinal(first).state == .completed)
    #expect(try logs(first) == "io\ncat\nread-only\n")
    try waitIdle(worker)

    let second = try deliver(worker, job("dw5-second", input: stored))
    #expect(try waitFinal(second).state == .completed)
    #expect(try logs(second) == "io\n1,2\nread-only\n")
    try waitIdle(worker)

    let elsewhere = TestEnvironment.temporaryFolder("docker-warm-elsewhere") + "/other.txt"
    try "no\n".write(toFile: elsewhere, atomically: true, encoding: .utf8)
    #expect(try deliveryRefusal(worker, job("dw5-outside", input: elsewhere)) == .conflict)
    #expect(try delete(worker))
  }

  @Test("§5.7 #29 #39: deliver to a busy worker is a conflict; cancel stops only that run; the container stays")
  func cancelKeepsContainer() throws {
    let workerId = "dw-3-" + UUID().uuidString.prefix(6).lowercased()
    let long = try launch(
      spec("dw3-long", "echo up; sleep 300", worker: WorkerOptions(keepWarm: true, workerId: workerId)))
    let worker = try #require(long["worker"])
    try waitLogs(long)
    #expect(try status(long).state == .running)
    #expect(try deliveryRefusal(worker, spec("dw3-busy", "echo no")) == .conflict)

    _ = try call("cancel", ["handle": long, "reason": "user"])
    let canceled = try waitFinal(long)
    #expect(canceled.state == .canceled, "\(canceled)")
    try waitIdle(worker)
    #expect(try probe(worker).liveness == .alive)
    #expect(try containers(of: workerId) == 1)

    let next = try deliver(worker, spec("dw3-after", "echo fine"))
    #expect(try waitFinal(next).state == .completed)
    // cleanup of a run never touches the worker.
    _ = try call("cleanup", ["handle": next])
    #expect(try probe(worker).liveness == .alive)
    #expect(try delete(worker))
    #expect(try containers(of: workerId) == 0)
  }

  @Test("a container killed mid-job fails that run with cause lost, never left running")
  func killedMidJob() throws {
    let workerId = "dw-4-" + UUID().uuidString.prefix(6).lowercased()
    let long = try launch(
      spec("dw4-long", "echo up; sleep 300", worker: WorkerOptions(keepWarm: true, workerId: workerId)))
    let worker = try #require(long["worker"])
    try waitLogs(long)
    #expect(try status(long).state == .running)
    let container = try #require(worker["container_id"]?.stringValue)
    let killed = try engine.send(HTTPRequest("POST", "http://docker/v1.41/containers/\(container)/kill?signal=KILL"))
    #expect(killed.status == 204)

    let ended = try waitFinal(long)
    #expect(ended.state == .failed && ended.terminationCause == .lost, "\(ended)")
    #expect(try probe(worker).liveness == .dead)
    #expect(try delete(worker))
    #expect(try probe(worker).liveness == .notFound)
  }
}

extension String {
  fileprivate var queryEscapedForTest: String {
    addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? self
  }
}
