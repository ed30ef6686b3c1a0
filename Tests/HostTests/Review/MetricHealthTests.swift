import Foundation
import PluginKit
import Testing

@testable import GoldfishTestSupport
@testable import Host

@Suite("Metric health during a run, and stop requests")
struct MetricHealthTests {
  static func points(_ values: [Double]) -> [MetricRecord] {
    values.enumerated().map { step, value in
      MetricRecord(name: "loss", value: value, step: step, timestamp: "2026-12-03T10:00:\(10 + step).000000Z")
    }
  }

  @Test("divergence is recorded once as a during_run review; a steady loss is not")
  func divergenceRecordedOnce() throws {
    let fixture = try SamplePipeline.project()
    let (_, runs) = try SamplePipeline.run(fixture, ["preprocess"])
    let run = runs[0]
    let store = fixture.project.store
    var config = MetricHealthConfig()
    config.divergencePoints = 3
    config.divergenceFactor = 2
    let health = MetricHealth(store: store, config: config)
    try store.recordMetrics(run.id, Self.points([1.0, 0.5, 0.6, 0.55]))
    #expect(health.check(run).isEmpty)
    try store.recordMetrics(run.id, Self.points([1.0, 0.5, 0.6, 0.55, 1.2, 1.5, 3.0]).suffix(3).map { $0 })
    let found = health.check(run)
    #expect(found.map(\.check) == ["divergence"], "\(found)")
    #expect(found.first?.message.contains("above 2.0× its best 0.5") == true, "\(found)")
    #expect(health.check(run).isEmpty, "the same breach is not recorded twice")
    let reviews = try store.reviews(ofStageRun: run.id, kind: .duringRun)
    #expect(reviews.count == 1)
    #expect(reviews.first?.reviewer == "metric_health")
    #expect(reviews.first?.decision == .warned)
  }

  @Test("a stall window reports no new best; NaN lines in the metrics file are caught")
  func stallAndNonFinite() throws {
    let fixture = try SamplePipeline.project()
    let (_, runs) = try SamplePipeline.run(fixture, ["preprocess"])
    let run = runs[0]
    var config = MetricHealthConfig()
    config.stallWindow = 3
    config.divergenceFactor = 100
    try fixture.project.store.recordMetrics(run.id, Self.points([1.0, 0.4, 0.5, 0.45, 0.6]))
    let found = MetricHealth(store: fixture.project.store, config: config).check(run, nonFinite: ["loss", "accuracy"])
    #expect(Set(found.map(\.check)) == ["stall", "non_finite"], "\(found)")
    #expect(found.first { $0.check == "non_finite" }?.subject == "loss")
    #expect(MetricsFile.nonFiniteName(#"{"type": "metric", "name": "loss", "value": NaN, "step": 3}"#) == "loss")
    #expect(MetricsFile.nonFiniteName(#"{"type": "metric", "name": "loss", "value": 0.5, "step": 3}"#) == nil)
  }

  @Test("with auto stop, a diverging stage that polls should_stop() ends terminated with cause ai_stop")
  func divergingStageStops() throws {
    let fixture = try SamplePipeline.project { text in
      text + "\nsvs:\n  metric_health_auto_stop: true\n  metric_health_divergence_points: 3\n"
    }
    try fixture.write("modules/preprocess.py", DivergingStage.script(steps: 600))
    let (_, runs) = try SamplePipeline.run(fixture, ["preprocess"])
    let run = runs[0]
    #expect(run.state == .terminated, "\(run.state) \(run.error ?? "")")
    #expect(run.terminationCause == "ai_stop")
    #expect(try fixture.project.store.transitions(of: run.id).last?.event == "ai_stop", "the history says why it ended")
    #expect(
      run.error?.contains("stopped on request (metric health: metric loss diverges") == true, "\(run.error ?? "")")
    let request = try #require(try fixture.project.store.stopRequest(of: run.id))
    #expect(request.reason.hasPrefix("metric health:"))
    let log = try String(contentsOfFile: RunLayout.runLog(workDir: try #require(run.workDir)), encoding: .utf8)
    #expect(log.contains("stopping on request at step"))
    #expect(FileManager.default.fileExists(atPath: StopRequest.file(workDir: try #require(run.workDir))))
  }

  @Test("goldfish stop refuses a run that ended and a reason too short, saying why")
  func stopCommandRefuses() throws {
    let fixture = try SamplePipeline.project()
    let (_, runs) = try SamplePipeline.run(fixture, ["preprocess"])
    let run = try #require(runs.first)
    let ended = Command.goldfish(["stop", run.id, "--reason", goodReason], cwd: fixture.root)
    #expect(ended.status != 0)
    #expect(ended.stderr.contains("only a running run can be asked to stop"), "\(ended.stderr)")
    let short = Command.goldfish(["stop", run.id, "--reason", "no"], cwd: fixture.root)
    #expect(short.status != 0)
    #expect(short.stderr.contains("reason"), "\(short.stderr)")
    #expect(try fixture.project.store.stopRequest(of: run.id) == nil, "nothing was recorded")
  }
}
