import Foundation
import PluginKit
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// Metrics of a stage in a container (its outputs folder is a bind mount of the run's folder)
/// show while it runs, on a fresh container and on a warm one.
@Suite(
  "live metrics on the docker backend", .serialized,
  .enabled(if: DockerSupport.available, "needs DOCKER_HOST (scripts/docker-engine.sh)"))
struct DockerLiveMetricsTests {
  @Test("a stage in a container shows its metrics in inspect while it runs")
  func visibleMidRun() throws {
    try Deadline.within(600) {
      let fixture = try DockerSupport.sampleProject()
      try fixture.write("modules/preprocess.py", LiveMetricsStage.script(output: "features"))
      let started = try Executor(services: try ExecutionServices.open(fixture.project)).start(
        RunRequest(target: "w1", stages: ["preprocess"], reason: goodReason))
      let watch = try LiveMetricsStage.watch(fixture.project, pipelineRunID: started.pipelineRunID, stage: "preprocess")
      let run = try #require(watch.runs.first)
      #expect(run.backend == "docker")
      let seen = try #require(watch.seenWhileRunning, "loss never had 2 points while the run was running")
      #expect(seen.count >= 2 && seen.count < 20)
      #expect([.completed, .awaitingUserFinalization].contains(run.state), "\(run.state) \(run.error ?? "")")
      #expect(try fixture.project.store.metricSummaries(of: run.id).first { $0.name == "loss" }?.count == 20)
    }
  }

  @Test("a run on a warm container shows its metrics in inspect while it runs")
  func visibleMidRunOnWarmContainer() throws {
    try Deadline.within(600) {
      let warm = try WarmProject(backend: "docker")
      defer { warm.tearDown() }
      let first = try warm.run()
      let worker = try #require(warm.workerID(of: first), "\(first.state) \(first.error ?? "")")
      try warm.fixture.write("modules/hello.py", LiveMetricsStage.script(output: "note"))
      let watch = try LiveMetricsStage.watch(warm.project, pipelineRunID: try warm.start(["hello"]), stage: "hello")
      let run = try #require(watch.runs.first)
      #expect(warm.workerID(of: run) == worker, "the run went to the idle container")
      let seen = try #require(watch.seenWhileRunning, "loss never had 2 points while the run was running")
      #expect(seen.count >= 2 && seen.count < 20)
      #expect(try warm.store.metricSummaries(of: run.id).first { $0.name == "loss" }?.count == 20)
    }
  }
}
