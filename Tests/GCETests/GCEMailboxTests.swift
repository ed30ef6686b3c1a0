import Foundation
import PluginKit
import PluginSupport
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// The gce backend's mailbox side: what it stages, how it reads a run's own records, and the
/// warm-reuse mechanics. Records an agent would write are written here into the storage
/// emulator directly; the full path through a real agent is GCEEndToEndTests.
@Suite("gce backend: mailbox and warm reuse", .enabled(if: GCESupport.available), .serialized)
struct GCEMailboxTests {
  @Test("#33: without a bucket (or with \"None\") the backend opens but refuses to launch, naming gce.gcs_bucket")
  func noBucketNoLaunch() throws {
    for bucket: JSONValue in [.null, "None", ""] {
      let opened = try GCESupport.open(["gcs_bucket": bucket])
      var failure: PluginError?
      do {
        _ = try opened.backend.call("launch", try JSONCoding.value(of: GCESupport.spec("run-nobucket")))
      } catch let error as PluginCallError {
        failure = error.error
      }
      #expect(failure?.code == .invalidArgument)
      #expect(failure?.message.contains("gce.gcs_bucket") == true)
      #expect(failure?.message.contains("gs://None") == false)
      let project = opened.project
      let list = try HTTPClient().send(
        HTTPRequest("GET", (GCESupport.endpoint ?? "") + "/projects/\(project)/zones/us-central1-a/instances")
      ).json()
      #expect(list["items"] == nil || list["items"] == [])
    }
  }

  @Test(
    "without gce.gcs_bucket the mailbox is gcs.bucket from the host's context, only when the project's storage is gcs")
  func bucketFromStorageContext() throws {
    let storage: JSONValue = [
      "bucket": .string(GCSSupport.bucket), "endpoint": .string("http://127.0.0.1:\(GCSSupport.emulatorPort)"),
    ]
    let unset: [String: JSONValue] = ["gcs_bucket": .null, "storage_endpoint": .null]
    let gcs = try GCESupport.open(
      context: ServiceContext(objectStorage: .init(name: "gcs", config: storage)), unset)
    let handle = try gcs.backend.call("launch", try JSONCoding.value(of: GCESupport.spec("run-ctx-bucket")))
    #expect(
      try GCESupport.getObject(gcs, "workers/\(handle["instance"]?.stringValue ?? "")/jobs/run-ctx-bucket.json") != nil)
    _ = try gcs.backend.call("cleanup", ["handle": handle])
    // A project that keeps its files elsewhere gives the mailbox no bucket: nothing launches.
    let file = try GCESupport.open(
      context: ServiceContext(objectStorage: .init(name: "file", config: storage)), unset)
    var failure: PluginError?
    do {
      _ = try file.backend.call("launch", try JSONCoding.value(of: GCESupport.spec("run-ctx-file")))
    } catch let error as PluginCallError {
      failure = error.error
    }
    #expect(failure?.code == .invalidArgument && failure?.message.contains("gcs.bucket") == true)
  }

  @Test("#6: every mailbox path the backend writes has exactly one runs/ segment; code and inputs are staged")
  func oneRunsSegment() throws {
    let opened = try GCESupport.open()
    let code = TestEnvironment.temporaryFolder("gce-code")
    try "print('stage')\n".write(toFile: code + "/train.py", atomically: true, encoding: .utf8)
    let input = TestEnvironment.temporaryFolder("gce-input")
    try "a,b\n1,2\n".write(toFile: input + "/data.csv", atomically: true, encoding: .utf8)
    var spec = GCESupport.spec("runs-in-id", codeDir: code)
    spec.inputs = [RunInput(name: "features", type: "directory", localPath: input)]
    let handle = try opened.backend.call("launch", try JSONCoding.value(of: spec))
    let objects = try GCESupport.mailboxObjects(opened)
    #expect(objects.contains("\(opened.prefix)/runs/runs-in-id/code/train.py"))
    #expect(objects.contains("\(opened.prefix)/runs/runs-in-id/inputs/features/data.csv"))
    for name in objects where name.contains("runs/") {
      #expect(name.components(separatedBy: "runs/").count == 2 || name.hasSuffix("runs-in-id.json"), "\(name)")
      #expect(!name.contains("runs/runs/"))
    }
    let name = try #require(handle["instance"]?.stringValue)
    let job = try JSONCoding.parse(
      try #require(try GCESupport.getObject(opened, "workers/\(name)/jobs/runs-in-id.json")))
    let sources = (job["inputs"]?.arrayValue ?? []).map {
      ($0["name"]?.stringValue ?? "", $0["source"]?.stringValue ?? "")
    }
    #expect(sources.map(\.0) == ["features", "code"])
    #expect(
      sources.map(\.1) == [
        "gs://\(GCSSupport.bucket)/\(opened.prefix)/runs/runs-in-id/inputs/features/",
        "gs://\(GCSSupport.bucket)/\(opened.prefix)/runs/runs-in-id/code/",
      ])
    #expect(job["outputs_dir"] == nil)  // a VM uploads outputs; the backend brings them home
    _ = try opened.backend.call("cleanup", ["handle": handle])
  }

  @Test("#7: an env key a shell could misread fails the launch before anything is staged or created")
  func badEnvKeyRefused() throws {
    let opened = try GCESupport.open()
    var spec = GCESupport.spec("run-env")
    spec.env["X; rm -rf /"] = "1"
    #expect {
      try opened.backend.call("launch", try JSONCoding.value(of: spec))
    } throws: { error in
      (error as? PluginCallError)?.error.code == .invalidArgument
    }
    #expect(try GCESupport.mailboxObjects(opened).isEmpty)
  }

  @Test(
    "#11 #13: status comes from the run's own exit.json while the VM is RUNNING; outputs come home first; logs by offset"
  )
  func statusFromExitRecord() throws {
    let opened = try GCESupport.open()
    let outputs = TestEnvironment.temporaryFolder("gce-outputs")
    let handle = try opened.backend.call(
      "launch", try JSONCoding.value(of: GCESupport.spec("run-exit-1", outputsDir: outputs)))
    try GCESupport.putObject(opened, "runs/run-exit-1/claimed.json", #"{"run_id":"run-exit-1"}"#)
    #expect(try GCESupport.status(opened.backend, handle).state == .running)
    try GCESupport.putObject(opened, "runs/run-exit-1/logs/output.log", "line one\nline two\n")
    let first = try JSONCoding.convert(
      try opened.backend.call("logs", ["handle": handle, "offset": 0, "max_bytes": 9]), to: LogChunk.self)
    #expect(first.text == "line one\n")
    #expect(first.complete == false)
    let rest = try JSONCoding.convert(
      try opened.backend.call("logs", ["handle": handle, "offset": .int(first.nextOffset)]), to: LogChunk.self)
    #expect(rest.text == "line two\n")
    // A record of some other run must never complete this one.
    try GCESupport.putObject(opened, "runs/run-exit-other/exit.json", #"{"run_id":"run-exit-other","exit_code":0}"#)
    #expect(try GCESupport.status(opened.backend, handle).state == .running)
    try GCESupport.putObject(opened, "runs/run-exit-1/outputs/model/weights.bin", "w")
    try GCESupport.putObject(opened, "runs/run-exit-1/outputs/.goldfish/metrics.jsonl", "{}\n")
    try GCESupport.putObject(
      opened, "runs/run-exit-1/exit.json",
      #"{"run_id":"run-exit-1","exit_code":0,"termination_cause":"exit","finished_at":"2026-11-29T10:00:00Z","worker_id":"w"}"#
    )
    let status = try GCESupport.status(opened.backend, handle)
    #expect(status.state == .completed)
    #expect(status.exitCode == 0)
    #expect(try String(contentsOfFile: outputs + "/model/weights.bin", encoding: .utf8) == "w")
    #expect(FileManager.default.fileExists(atPath: outputs + "/.goldfish/metrics.jsonl"))
    let done = try JSONCoding.convert(
      try opened.backend.call("logs", ["handle": handle, "offset": .int(rest.nextOffset)]), to: LogChunk.self)
    #expect(done.complete)
    _ = try opened.backend.call("cleanup", ["handle": handle])
  }

  @Test("a failing exit code fails the run; cancel of a one-shot run writes cancel.json and deletes its VM")
  func failedAndCanceled() throws {
    let opened = try GCESupport.open()
    let failed = try opened.backend.call("launch", try JSONCoding.value(of: GCESupport.spec("run-fail")))
    try GCESupport.putObject(
      opened, "runs/run-fail/exit.json",
      #"{"run_id":"run-fail","exit_code":3,"termination_cause":"exit","finished_at":"x","worker_id":"w"}"#)
    let status = try GCESupport.status(opened.backend, failed)
    #expect(status.state == .failed)
    #expect(status.exitCode == 3)
    _ = try opened.backend.call("cleanup", ["handle": failed])

    let running = try opened.backend.call("launch", try JSONCoding.value(of: GCESupport.spec("run-cancel")))
    _ = try opened.backend.call("cancel", ["handle": running, "reason": "user"])
    #expect(try GCESupport.getObject(opened, "runs/run-cancel/cancel.json") != nil)
    let name = try #require(running["instance"]?.stringValue)
    #expect(try GCESupport.instance(opened, zone: "us-central1-a", name) == nil)
  }

  @Test("#25 #26: probe says alive/idle from the VM and status.json, not_found once deleted; delete confirms only then")
  func warmWorkerMechanics() throws {
    let opened = try GCESupport.open()
    let handle = try opened.backend.call(
      "launch",
      try JSONCoding.value(
        of: GCESupport.spec(
          "run-warm-1", worker: WorkerOptions(keepWarm: true, idleTimeoutSeconds: 600, workerId: "w1"))))
    let worker = try #require(handle["worker"])
    let workerId = try #require(worker["worker_id"]?.stringValue)
    var probe = try JSONCoding.convert(
      try opened.backend.call("probe_worker", ["worker": worker]), to: WorkerProbe.self)
    #expect(probe.liveness == .alive)
    #expect(probe.state == "starting")
    // Busy with the first run: a second job is refused with conflict, nothing is delivered.
    try GCESupport.putObject(
      opened, "workers/\(workerId)/status.json", #"{"worker_id":"\#(workerId)","state":"busy","run_id":"run-warm-1"}"#)
    #expect {
      try opened.backend.call(
        "deliver_job", ["worker": worker, "spec": try JSONCoding.value(of: GCESupport.spec("run-warm-2"))])
    } throws: { error in
      (error as? PluginCallError)?.error.code == .conflict
    }
    #expect(try GCESupport.getObject(opened, "workers/\(workerId)/jobs/run-warm-2.json") == nil)
    // The agent finished run 1 (and took its job file): idle again, run 2 is delivered.
    try GCESupport.putObject(
      opened, "runs/run-warm-1/exit.json",
      #"{"run_id":"run-warm-1","exit_code":0,"termination_cause":"exit","finished_at":"x","worker_id":"w"}"#)
    try GCESupport.putObject(
      opened, "workers/\(workerId)/status.json", #"{"worker_id":"\#(workerId)","state":"idle","run_id":"run-warm-1"}"#)
    try deleteObject(opened, "workers/\(workerId)/jobs/run-warm-1.json")
    probe = try JSONCoding.convert(try opened.backend.call("probe_worker", ["worker": worker]), to: WorkerProbe.self)
    #expect(probe.state == "idle")
    #expect(probe.exitCode == 0)
    let delivered = try opened.backend.call(
      "deliver_job", ["worker": worker, "spec": try JSONCoding.value(of: GCESupport.spec("run-warm-2"))])
    let second = try #require(delivered["handle"])
    #expect(second["run_id"]?.stringValue == "run-warm-2")
    #expect(second["instance"] == worker["instance"])
    #expect(try GCESupport.getObject(opened, "workers/\(workerId)/jobs/run-warm-2.json") != nil)
    // Cleanup of a run on a worker never deletes the worker.
    _ = try opened.backend.call("cleanup", ["handle": second])
    #expect(try GCESupport.instance(opened, zone: "us-central1-a", worker["instance"]?.stringValue ?? "") != nil)
    #expect(try opened.backend.call("delete_worker", ["worker": worker])["confirmed"] == true)
    #expect(try opened.backend.call("delete_worker", ["worker": worker])["confirmed"] == true)
    probe = try JSONCoding.convert(try opened.backend.call("probe_worker", ["worker": worker]), to: WorkerProbe.self)
    #expect(probe.liveness == .notFound)
    // A run whose worker vanished without an exit record is lost.
    #expect(try GCESupport.status(opened.backend, second).terminationCause == .lost)
  }

  @Test("#25: a Compute API that cannot be reached makes probe answer error, never dead or not_found")
  func probeErrorIsNotDeath() throws {
    let opened = try GCESupport.open(apiRoot: "http://127.0.0.1:9/compute/v1")
    let worker: JSONValue = ["worker_id": "w9", "instance": "gf-w9", "zone": "us-central1-a"]
    let probe = try JSONCoding.convert(
      try opened.backend.call("probe_worker", ["worker": worker]), to: WorkerProbe.self)
    #expect(probe.liveness == .error)
  }

  @Test("a stopped spot VM without an exit record is preemption; a stopped on-demand VM is lost")
  func stoppedVMCause() throws {
    let proxy = try CapacityProxy(["status:gf-run-spot-stop": "STOPPED", "status:gf-run-std-stop": "TERMINATED"])
    let opened = try GCESupport.open(apiRoot: proxy.apiRoot)
    var spot = ResourceProfiles.builtIn["cpu-small"]!.json.replacing(zones: ["us-central1-a"])
    if case .object(var fields) = spot {
      fields["on_demand_allowed"] = false
      spot = .object(fields)
    }
    let preempted = try opened.backend.call(
      "launch", try JSONCoding.value(of: GCESupport.spec("run-spot-stop", definition: spot)))
    #expect(preempted["provisioning"]?.stringValue == "spot")
    let first = try GCESupport.status(opened.backend, preempted)
    #expect(first.state == .failed)
    #expect(first.terminationCause == .preemption)
    var standard = ResourceProfiles.builtIn["cpu-small"]!.json.replacing(zones: ["us-central1-a"])
    if case .object(var fields) = standard {
      fields["preemptible_allowed"] = false
      standard = .object(fields)
    }
    let stopped = try opened.backend.call(
      "launch", try JSONCoding.value(of: GCESupport.spec("run-std-stop", definition: standard)))
    #expect(try GCESupport.status(opened.backend, stopped).terminationCause == .lost)
    // An exit record written before the stop still wins: the run finished.
    try GCESupport.putObject(
      opened, "runs/run-spot-stop/exit.json",
      #"{"run_id":"run-spot-stop","exit_code":0,"termination_cause":"exit","finished_at":"x","worker_id":"w"}"#)
    #expect(try GCESupport.status(opened.backend, preempted).state == .completed)
    _ = try opened.backend.call("cleanup", ["handle": preempted])
    _ = try opened.backend.call("cleanup", ["handle": stopped])
  }

  private func deleteObject(_ opened: GCESupport.Opened, _ key: String) throws {
    let name = opened.prefix + "/" + key
    let url =
      "http://127.0.0.1:\(GCSSupport.emulatorPort)/storage/v1/b/\(GCSSupport.bucket)/o/"
      + (name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? name)
    _ = try HTTPClient().send(HTTPRequest("DELETE", url))
  }
}
