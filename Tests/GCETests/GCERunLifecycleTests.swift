import Foundation
import PluginKit
import PluginSupport
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// A gce run through the host, from launch to the mailbox's cleanup: `launching` until the agent
/// on its VM claims the job, the outputs kept once (in storage, not again in the mailbox), and a
/// finished run's mailbox folder removed after `gce.mailbox_retention_seconds`.
@Suite("gce run lifecycle: launching until claimed, outputs once, mailbox retention", .serialized)
struct GCERunLifecycleTests {
  /// Every object under `prefix` in the storage emulator's bucket.
  static func objects(_ prefix: String) throws -> [String] {
    let url =
      "http://127.0.0.1:\(GCSSupport.emulatorPort)/storage/v1/b/\(GCSSupport.bucket)/o?prefix="
      + (prefix.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? prefix)
    return try HTTPClient().send(HTTPRequest("GET", url)).json()["items"]?.arrayValue?.compactMap {
      $0["name"]?.stringValue
    } ?? []
  }

  @Test(
    "a run stays launching while its VM has not claimed the job, runs once it has, and its outputs are not kept twice",
    .enabled(if: VMHarness.available))
  func launchingUntilClaimed() throws {
    try Deadline.within(600) {
      try GCSSupport.ensureBucket()
      let cloud = GCESupport.project()
      let prefix = "gce-life-" + UUID().uuidString.prefix(8).lowercased()
      let storage = "http://127.0.0.1:\(GCSSupport.emulatorPort)"
      let fixture = try SamplePipeline.project { text in
        text.replacingOccurrences(of: "  backend: file", with: "  backend: gcs")
          .replacingOccurrences(of: "  backend: process", with: "  backend: gce")
          + "\ngcs:\n  bucket: \(GCSSupport.bucket)\n  prefix: \(prefix)/storage\n  endpoint: \(storage)\n"
          + "gce:\n  project_id: \(cloud)\n  api_endpoint: \(GCESupport.endpoint ?? "")\n  zones: [us-central1-a]\n"
          + "  gcs_bucket: \(GCSSupport.bucket)\n  mailbox_prefix: \(prefix)/mailbox\n  storage_endpoint: \(storage)\n"
          + "  operation_poll_seconds: 0.05\n"
          // A short stage limit: the wait for the VM is held to the launch budget, not to this.
          + "defaults:\n  timeout_seconds: 8\n"
      }
      let store = fixture.project.store
      let services = try ExecutionServices.open(fixture.project)
      let started = try Executor(services: services).start(
        RunRequest(target: "w1", stages: ["preprocess"], reason: goodReason))
      // The driver in this process, as the CLI's would run it.
      let pipelineRunID = started.pipelineRunID
      Thread.detachNewThread { _ = try? PipelineDriver(services: services, pipelineRunID: pipelineRunID).drive() }
      func run() throws -> StageRunRecord? { try store.stageRuns(ofPipelineRun: started.pipelineRunID).first }
      // No VM harness yet: the VM exists, nobody claims its job.
      #expect(try GCESupport.waitUntil { try run()?.backendHandle?.contains("\"instance\"") == true })
      let launched = try #require(try run())
      #expect(launched.state == .launching, "\(launched.state) \(launched.error ?? "")")
      // The driver keeps asking the backend, which keeps answering pending: still launching, also
      // past the stage's own 8 s limit and its 10 s grace (a VM may take minutes to boot).
      Thread.sleep(forTimeInterval: 20)
      let waiting = try run()
      #expect(waiting?.state == .launching, "\(waiting?.error ?? "")")

      let harness = try VMHarness(project: cloud)
      #expect(try GCESupport.waitUntil { try run()?.state.isSettled == true }, "\(harness.log)")
      let ended = try #require(try run())
      #expect(ended.state.succeeded, "\(ended.state) \(ended.error ?? "") \(harness.log)")
      let started_ = try store.transitions(of: ended.id).first { $0.event == StageRunEvent.launchOK.rawValue }
      #expect(started_?.fromState == "launching" && started_?.source == "backend")

      // Outputs once: recorded in storage, gone from the mailbox; the run's log stays until retention.
      let recorded = try store.signals(of: ended.id).filter { $0.direction == "output" }
      #expect(!recorded.isEmpty)
      #expect(try !Self.objects("\(prefix)/storage/").isEmpty)
      // The run's cleanup clears the mailbox just after the run is recorded, so wait for it.
      #expect(
        try GCESupport.waitUntil {
          try Self.objects("\(prefix)/mailbox/retention/").contains { $0.hasSuffix("-" + ended.id) }
        }, "the run's cleanup never left its retention marker")
      #expect(try Self.objects("\(prefix)/mailbox/runs/\(ended.id)/outputs/").isEmpty)
      #expect(try !Self.objects("\(prefix)/mailbox/runs/\(ended.id)/logs/").isEmpty)
    }
  }

  @Test(
    "a finished run's mailbox folder goes after the retention period, at the next run's cleanup",
    .enabled(if: GCESupport.available))
  func retention() throws {
    let opened = try GCESupport.open(["mailbox_retention_seconds": 1])
    func handle(_ run: String) -> JSONValue {
      [
        "run_id": .string(run), "backend": "gce", "instance": .string("gf-" + run), "zone": "us-central1-a",
        "one_shot": true, "worker_id": .string("gf-" + run),
      ]
    }
    for run in ["run-keep-a", "run-keep-b"] {
      try GCESupport.putObject(opened, "runs/\(run)/outputs/model.bin", "weights")
      try GCESupport.putObject(opened, "runs/\(run)/logs/output.log", "hello\n")
      try GCESupport.putObject(opened, "runs/\(run)/exit.json", "{\"exit_code\": 0}")
      try GCESupport.putObject(opened, "workers/gf-\(run)/status.json", "{}")
    }
    try GCESupport.putObject(opened, "runs/run-other/logs/output.log", "still running\n")
    _ = try opened.backend.call("cleanup", ["handle": handle("run-keep-a")])
    var names = try GCESupport.mailboxObjects(opened)
    // The outputs go at once; the log and records wait for the retention period.
    #expect(!names.contains { $0.hasSuffix("runs/run-keep-a/outputs/model.bin") })
    #expect(names.contains { $0.hasSuffix("runs/run-keep-a/logs/output.log") })
    #expect(names.contains { $0.hasSuffix("workers/gf-run-keep-a/status.json") })
    Thread.sleep(forTimeInterval: 1.5)
    _ = try opened.backend.call("cleanup", ["handle": handle("run-keep-b")])
    names = try GCESupport.mailboxObjects(opened)
    #expect(!names.contains { $0.contains("runs/run-keep-a/") || $0.contains("workers/gf-run-keep-a/") }, "\(names)")
    // run-keep-b's period has just begun; a run that never finished is never touched.
    #expect(names.contains { $0.hasSuffix("runs/run-keep-b/logs/output.log") })
    #expect(names.contains { $0.hasSuffix("runs/run-other/logs/output.log") })
    #expect(names.filter { $0.contains("/retention/") }.count == 1)
  }

  @Test("retention 0 removes a finished run's folder at its cleanup", .enabled(if: GCESupport.available))
  func retentionZero() throws {
    let opened = try GCESupport.open(["mailbox_retention_seconds": 0])
    try GCESupport.putObject(opened, "runs/run-now/logs/output.log", "bye\n")
    let handle: JSONValue = [
      "run_id": "run-now", "backend": "gce", "instance": "gf-run-now", "zone": "us-central1-a", "one_shot": false,
    ]
    _ = try opened.backend.call("cleanup", ["handle": handle])
    #expect(try GCESupport.mailboxObjects(opened).isEmpty)
  }
}
