import Foundation
import PluginKit
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// On a VM the stage cannot write the host's outputs folder: its agent uploads the metrics
/// file to the mailbox while the job runs, each status poll brings the new bytes home, and
/// the host reads them by offset as on every other backend.
@Suite("live metrics on the gce backend through the VM harness", .enabled(if: VMHarness.available), .serialized)
struct GCELiveMetricsTests {
  @Test("a stage on a played VM shows its metrics in inspect while it runs")
  func visibleMidRun() throws {
    try Deadline.within(600) {
      try GCSSupport.ensureBucket()
      let (fixture, harness) = try Self.project()
      try fixture.write("modules/preprocess.py", LiveMetricsStage.script(output: "features"))
      let started = try Executor(services: try ExecutionServices.open(fixture.project)).start(
        RunRequest(target: "w1", stages: ["preprocess"], reason: goodReason))
      let watch = try LiveMetricsStage.watch(fixture.project, pipelineRunID: started.pipelineRunID, stage: "preprocess")
      let run = try #require(watch.runs.first)
      #expect(run.backend == "gce")
      #expect(
        [.completed, .awaitingUserFinalization].contains(run.state), "\(run.state) \(run.error ?? "") \(harness.log)")
      let seen = try #require(watch.seenWhileRunning, "loss never had 2 points while the run was running")
      #expect(seen.count >= 2 && seen.count < 20)
      #expect(try fixture.project.store.metricSummaries(of: run.id).first { $0.name == "loss" }?.count == 20)
    }
  }

  @Test("metric health's stop reaches a stage on a played VM through the mailbox: it ends ai_stop")
  func stopReachesTheVM() throws {
    try Deadline.within(600) {
      try GCSSupport.ensureBucket()
      let (fixture, harness) = try Self.project(
        extra: "svs:\n  metric_health_auto_stop: true\n  metric_health_divergence_points: 3\n")
      try fixture.write("modules/preprocess.py", DivergingStage.script(steps: 1200))
      let (_, runs) = try SamplePipeline.run(fixture, ["preprocess"])
      let run = try #require(runs.first)
      #expect(run.backend == "gce")
      #expect(run.state == .terminated, "\(run.state) \(run.error ?? "") \(harness.log)")
      #expect(run.terminationCause == "ai_stop")
      let reviews = try fixture.project.store.reviews(ofStageRun: run.id, kind: .duringRun)
      #expect(!reviews.flatMap(\.findings).contains { $0.check == "stop_not_delivered" }, "\(reviews)")
      let log = try RunQueries(services: try ExecutionServices.open(fixture.project)).logs(run.id, tail: 50).text
      #expect(log.contains("stopping on request at step"), "\(log)")
    }
  }

  /// The sample pipeline on gce (played by the harness) with its storage on the GCS emulator.
  static func project(extra: String = "") throws -> (ProjectFixture, VMHarness) {
    let project = GCESupport.project()
    let prefix = "gce-metrics-" + UUID().uuidString.prefix(8).lowercased()
    let harness = try VMHarness(project: project)
    let storage = "http://127.0.0.1:\(GCSSupport.emulatorPort)"
    let fixture = try SamplePipeline.project { text in
      text.replacingOccurrences(of: "  backend: file", with: "  backend: gcs")
        .replacingOccurrences(of: "  backend: process", with: "  backend: gce")
        + "\ngcs:\n  bucket: \(GCSSupport.bucket)\n  prefix: \(prefix)/storage\n  endpoint: \(storage)\n"
        + "gce:\n  project_id: \(project)\n  api_endpoint: \(GCESupport.endpoint ?? "")\n  zones: [us-central1-a]\n"
        + "  gcs_bucket: \(GCSSupport.bucket)\n  mailbox_prefix: \(prefix)/mailbox\n  storage_endpoint: \(storage)\n"
        + "  operation_poll_seconds: 0.05\n" + extra
    }
    return (fixture, harness)
  }
}
