import Foundation
import PluginKit
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// A successful stage run stays `awaiting_user_finalization` until the agent finalizes it; to
/// everything else (the pipeline, downstream stages, reuse, waiting, status) it has succeeded.
@Suite("a successful run awaits finalization", .serialized)
struct AwaitingFinalizationTests {
  @Test("every stage ends awaiting finalization, the pipeline run is completed, nothing finalizes on its own")
  func successfulRunsAwait() throws {
    let fixture = try SamplePipeline.project()
    let (pipelineRun, runs) = try SamplePipeline.run(fixture)
    let store = fixture.project.store
    #expect(pipelineRun.status == "completed", "\(pipelineRun.error ?? "")")
    #expect(
      runs.map(\.state) == [.awaitingUserFinalization, .awaitingUserFinalization, .awaitingUserFinalization],
      "\(runs.map { "\($0.stage): \($0.state) \($0.error ?? "")" })")
    for run in runs {
      let events = try store.transitions(of: run.id).map(\.event)
      #expect(events.last == "post_run_ok" && !events.contains("user_finalize"), "\(run.stage): \(events)")
      #expect(run.finishedAt != nil, "\(run.stage) has no end time")
      let results = try #require(try store.runResults(run.id))
      #expect(results.infraOutcome == .completed && results.mlOutcome == nil && results.gated, "\(results)")
    }
    // What the finalization gate will list.
    #expect(try store.unfinalizedRuns(workspace: "line").map(\.stageRunID) == runs.map(\.id))

    // Finalizing (the user_finalize event) completes it and keeps when it ended and how.
    let train = runs[1]
    try store.transition(train.id, .userFinalize, TransitionContext(source: "test", reason: "finalized"))
    let finalized = try #require(try store.stageRun(train.id))
    #expect(finalized.state == .completed && finalized.finishedAt == train.finishedAt)
    #expect(try store.runResults(train.id)?.infraOutcome == .completed)
  }

  @Test("a run awaiting finalization feeds later runs of downstream stages and is reused when nothing changed")
  func awaitingRunIsASuccess() throws {
    let fixture = try SamplePipeline.project()
    let store = fixture.project.store
    let (_, first) = try SamplePipeline.run(fixture, ["preprocess"])
    let preprocess = try #require(first.first)
    #expect(preprocess.state == .awaitingUserFinalization, "\(preprocess.error ?? "")")

    let (trainRun, trained) = try SamplePipeline.run(fixture, ["train"])
    #expect(trainRun.status == "completed", "\(trainRun.error ?? "")")
    let train = try #require(trained.first)
    let inputs = try store.signals(of: train.id).filter { $0.direction == "input" }
    #expect(inputs.compactMap(\.sourceStageRunID) == [preprocess.id], "\(inputs)")

    let (_, again) = try SamplePipeline.run(fixture, ["preprocess"])
    let reused = try #require(again.first)
    #expect(reused.reusedFrom == preprocess.id && reused.state == .completed, "\(reused)")
    #expect(try store.runResults(reused.id)?.infraOutcome == .completed)
    #expect(!(try store.unfinalizedRuns(workspace: "line").map(\.stageRunID).contains(reused.id)))
  }

  @Test("cancel leaves a run awaiting finalization as it is: nothing to cancel, its result is kept")
  func cancelKeepsTheResult() throws {
    let fixture = try SamplePipeline.project()
    let store = fixture.project.store
    let (_, runs) = try SamplePipeline.run(fixture, ["preprocess"])
    let run = try #require(runs.first)
    #expect(run.state == .awaitingUserFinalization)

    let canceled = try Executor(services: try ExecutionServices.open(fixture.project)).cancel(
      run.id, reason: goodReason)
    #expect(canceled.isEmpty)
    let cli = Command.goldfish(["cancel", run.id, "--reason", goodReason], cwd: fixture.root)
    #expect(cli.status == 0 && cli.stdout.contains("Nothing to cancel"), "\(cli.stdout) \(cli.stderr)")

    let after = try #require(try store.stageRun(run.id))
    #expect(after.state == .awaitingUserFinalization && after.outputs == run.outputs)
    #expect(try store.runResults(run.id)?.infraOutcome == .completed)
    // The store refuses the event too, whoever sends it.
    #expect(throws: GoldfishError.self) {
      try store.transition(run.id, .userCancel, TransitionContext(source: "test"))
    }
    #expect(try store.stageRun(run.id)?.state == .awaitingUserFinalization)
  }

  @Test("status lists a run awaiting finalization among recent runs, not running ones; waiting on it ends")
  func statusAndWaiting() throws {
    let fixture = try SamplePipeline.project()
    let (_, runs) = try SamplePipeline.run(fixture, ["preprocess"])
    let run = try #require(runs.first)
    let status = try ProjectStatus(project: fixture.project)
    #expect(status.activeRuns.isEmpty, "\(status.activeRuns.map(\.id))")
    #expect(status.recentRuns.map(\.id) == [run.id])
    #expect(status.recentRuns.first?.state == "awaiting_user_finalization")
    let view = try RunStatusView.current(run.id, in: fixture.project.store)
    #expect(view.finished && view.status == "awaiting_user_finalization")
  }

  @Test("goldfish run --wait exits 0 when every stage awaits finalization and 1 when one failed")
  func cliExitCode() throws {
    let fixture = try SamplePipeline.project()
    let ok = Command.goldfish(["run", "w1", "preprocess", "--wait", "--reason", goodReason], cwd: fixture.root)
    #expect(ok.status == 0, "\(ok.stdout) \(ok.stderr)")
    #expect(ok.stdout.contains("awaiting_user_finalization") && ok.stdout.contains("completed"), "\(ok.stdout)")
    try fixture.write("modules/train.py", "import sys\nsys.exit(3)\n")
    let failed = Command.goldfish(["run", "w1", "train", "--wait", "--reason", goodReason], cwd: fixture.root)
    #expect(failed.status == 1, "\(failed.stdout) \(failed.stderr)")
  }
}
