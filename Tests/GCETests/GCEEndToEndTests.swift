import Foundation
import PluginKit
import PluginSupport
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// The whole VM path on one machine: the gce backend launches on gcplocal, the harness boots
/// a real goldfish-agent for the VM (config from its metadata, mailbox in the storage
/// emulator), the agent runs the job and reports through the mailbox, the VM deletes itself.
@Suite("gce backend end to end through the VM harness", .enabled(if: VMHarness.available), .serialized)
struct GCEEndToEndTests {
  @Test("a one-shot run: the agent on the VM runs it, outputs and logs come home, the VM goes away")
  func oneShotRun() throws {
    let opened = try GCESupport.open()
    let harness = try VMHarness(project: opened.project, bootDelay: 0.5)
    let outputs = TestEnvironment.temporaryFolder("gce-e2e-outputs")
    let spec = GCESupport.spec(
      "run-e2e-1", outputsDir: outputs,
      command: ["/bin/sh", "-c", "echo hello from the vm; echo 42 > \"$GOLDFISH_OUTPUTS_DIR/answer.txt\""])
    let handle = try opened.backend.call("launch", try JSONCoding.value(of: spec))
    let status = try GCESupport.waitFinal(opened.backend, handle)
    #expect(status.state == .completed, "\(status) \(harness.log)")
    #expect(status.exitCode == 0)
    #expect(try String(contentsOfFile: outputs + "/answer.txt", encoding: .utf8) == "42\n")
    let logs = try JSONCoding.convert(
      try opened.backend.call("logs", ["handle": handle, "offset": 0]), to: LogChunk.self)
    #expect(logs.text.contains("hello from the vm"))
    let name = try #require(handle["instance"]?.stringValue)
    #expect(
      try GCESupport.waitUntil { try GCESupport.instance(opened, zone: "us-central1-a", name) == nil }, "\(harness.log)"
    )
    _ = try opened.backend.call("cleanup", ["handle": handle])
  }

  @Test("a failing job fails the run with its exit code")
  func failingRun() throws {
    let opened = try GCESupport.open()
    let harness = try VMHarness(project: opened.project)
    let spec = GCESupport.spec("run-e2e-fail", command: ["/bin/sh", "-c", "echo boom >&2; exit 7"])
    let handle = try opened.backend.call("launch", try JSONCoding.value(of: spec))
    let status = try GCESupport.waitFinal(opened.backend, handle)
    #expect(status.state == .failed, "\(harness.log)")
    #expect(status.exitCode == 7)
    let logs = try JSONCoding.convert(
      try opened.backend.call("logs", ["handle": handle, "tail": 5]), to: LogChunk.self)
    #expect(logs.text.contains("boom"))
  }

  @Test("a VM that vanishes mid-job (no exit record) makes the run lost, not running forever")
  func vanishedVMIsLost() throws {
    let opened = try GCESupport.open()
    let harness = try VMHarness(project: opened.project)
    let handle = try opened.backend.call(
      "launch", try JSONCoding.value(of: GCESupport.spec("run-e2e-lost", command: ["/bin/sleep", "60"])))
    #expect(
      try GCESupport.waitUntil { try GCESupport.status(opened.backend, handle).state == .running }, "\(harness.log)")
    let name = try #require(handle["instance"]?.stringValue)
    // Deleted behind the backend's back (an operator, a reaper, a host failure).
    _ = try HTTPClient().send(
      HTTPRequest(
        "DELETE", (GCESupport.endpoint ?? "") + "/projects/\(opened.project)/zones/us-central1-a/instances/\(name)"))
    let status = try GCESupport.waitFinal(opened.backend, handle)
    #expect(status.state == .failed)
    #expect(status.terminationCause == .lost)
  }

  @Test("#1 #11: a warm worker runs its first job, takes a second by deliver_job without a new VM, then is deleted")
  func warmWorkerReuse() throws {
    let opened = try GCESupport.open()
    let harness = try VMHarness(project: opened.project)
    let first = try opened.backend.call(
      "launch",
      try JSONCoding.value(
        of: GCESupport.spec(
          "run-warm-e2e-1", worker: WorkerOptions(keepWarm: true, idleTimeoutSeconds: 120, workerId: "wpool-1"),
          command: ["/bin/sh", "-c", "echo first"])))
    let worker = try #require(first["worker"])
    #expect(try GCESupport.waitFinal(opened.backend, first).state == .completed, "\(harness.log)")
    // The VM stays up after its job: completion came from the run's exit record (#11).
    #expect(try GCESupport.instance(opened, zone: "us-central1-a", worker["instance"]?.stringValue ?? "") != nil)
    #expect(
      try GCESupport.waitUntil {
        try JSONCoding.convert(try opened.backend.call("probe_worker", ["worker": worker]), to: WorkerProbe.self).state
          == "idle"
      })
    let delivered = try opened.backend.call(
      "deliver_job",
      [
        "worker": worker,
        "spec": try JSONCoding.value(of: GCESupport.spec("run-warm-e2e-2", command: ["/bin/sh", "-c", "echo second"])),
      ])
    let second = try #require(delivered["handle"])
    #expect(try GCESupport.waitFinal(opened.backend, second).state == .completed, "\(harness.log)")
    let logs = try JSONCoding.convert(
      try opened.backend.call("logs", ["handle": second, "offset": 0]), to: LogChunk.self)
    #expect(logs.text.contains("second"))
    #expect(!logs.text.contains("first"))
    let list = try HTTPClient().send(
      HTTPRequest("GET", (GCESupport.endpoint ?? "") + "/projects/\(opened.project)/zones/us-central1-a/instances")
    ).json()
    #expect(list["items"]?.arrayValue?.count == 1)  // no second VM (#1)
    #expect(try opened.backend.call("delete_worker", ["worker": worker])["confirmed"] == true)
  }

  @Test("the sample pipeline with jobs.backend gce and storage.backend gcs: every stage on a played VM")
  func samplePipeline() throws {
    try GCSSupport.ensureBucket()
    let project = GCESupport.project()
    let prefix = "gce-pipeline-" + UUID().uuidString.prefix(8).lowercased()
    let harness = try VMHarness(project: project)
    let storage = "http://127.0.0.1:\(GCSSupport.emulatorPort)"
    let fixture = try SamplePipeline.project { text in
      text.replacingOccurrences(of: "  backend: file", with: "  backend: gcs")
        .replacingOccurrences(of: "  backend: process", with: "  backend: gce")
        + "\ngcs:\n  bucket: \(GCSSupport.bucket)\n  prefix: \(prefix)/storage\n  endpoint: \(storage)\n"
        + "gce:\n  project_id: \(project)\n  api_endpoint: \(GCESupport.endpoint ?? "")\n  zones: [us-central1-a]\n"
        + "  gcs_bucket: \(GCSSupport.bucket)\n  mailbox_prefix: \(prefix)/mailbox\n  storage_endpoint: \(storage)\n"
        + "  operation_poll_seconds: 0.05\n"
    }
    let (pipelineRun, runs) = try SamplePipeline.run(fixture)
    #expect(pipelineRun.status == "completed", "\(pipelineRun.error ?? "") \(harness.log)")
    #expect(runs.map(\.stage) == ["preprocess", "train", "evaluate"])
    #expect(
      runs.allSatisfy { $0.state == .awaitingUserFinalization },
      "\(runs.map { "\($0.stage): \($0.state) \($0.error ?? "")" })")
    let store = fixture.project.store
    let evaluate = try #require(runs.last)
    let report = try #require(try store.signals(of: evaluate.id).first { $0.signal == "report" })
    #expect(report.uri?.hasPrefix("gs://\(GCSSupport.bucket)/\(prefix)/storage/") == true)
    // Each stage ran through the mailbox: its exit record and log are there, under one runs/.
    for run in runs {
      let exit = try #require(try getMailbox(prefix, "runs/\(run.id)/exit.json"), "\(run.stage)")
      #expect(try JSONCoding.parse(exit)["exit_code"]?.intValue == 0)
      #expect(try getMailbox(prefix, "runs/\(run.id)/logs/output.log") != nil)
    }
    // Every VM deleted itself after its one job.
    let list = try HTTPClient().send(
      HTTPRequest("GET", (GCESupport.endpoint ?? "") + "/projects/\(project)/zones/us-central1-a/instances")
    ).json()
    #expect(
      try GCESupport.waitUntil {
        let now = try HTTPClient().send(
          HTTPRequest("GET", (GCESupport.endpoint ?? "") + "/projects/\(project)/zones/us-central1-a/instances")
        ).json()
        return (now["items"]?.arrayValue ?? []).isEmpty
      }, "\(list)")
  }

  private func getMailbox(_ prefix: String, _ key: String) throws -> String? {
    let name = prefix + "/mailbox/" + key
    let url =
      "http://127.0.0.1:\(GCSSupport.emulatorPort)/storage/v1/b/\(GCSSupport.bucket)/o/"
      + (name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? name) + "?alt=media"
    let response = try HTTPClient().send(HTTPRequest("GET", url))
    return response.status == 404 ? nil : response.text
  }
}
