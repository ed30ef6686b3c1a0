import Foundation
import PluginKit
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// A run on a reused warm worker (a goldfish-agent process) shows its metrics while it runs.
@Suite("live metrics on a warm worker (process backend)", .serialized)
struct WarmLiveMetricsTests {
  @Test("a run handed to an idle warm worker shows its metrics in inspect while it runs")
  func visibleMidRunOnWarmWorker() throws {
    try Deadline.within(300) {
      let warm = try WarmProject()
      defer { warm.tearDown() }
      let first = try warm.run()
      let worker = try #require(warm.workerID(of: first), "\(first.state) \(first.error ?? "")")
      try warm.fixture.write("modules/hello.py", LiveMetricsStage.script(output: "note"))
      let watch = try LiveMetricsStage.watch(warm.project, pipelineRunID: try warm.start(["hello"]), stage: "hello")
      let run = try #require(watch.runs.first)
      #expect(warm.workerID(of: run) == worker, "the run went to the idle worker")
      let seen = try #require(watch.seenWhileRunning, "loss never had 2 points while the run was running")
      #expect(seen.count >= 2 && seen.count < 20)
      #expect([.completed, .awaitingUserFinalization].contains(run.state), "\(run.state) \(run.error ?? "")")
      #expect(try warm.store.metricSummaries(of: run.id).first { $0.name == "loss" }?.count == 20)
    }
  }
}
