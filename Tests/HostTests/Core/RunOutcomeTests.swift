import Foundation
import PluginKit
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// When a run ends, its record says how (infra outcome), in the transaction that ends it; a
/// successful run with a results spec gets its auto results from its metrics.
@Suite("how a run ended, in its record", .serialized)
struct RunOutcomeTests {
  /// A run moved to `running` through the state machine, in a real project database.
  static func runningRun(_ store: ProjectStore, _ id: String) throws {
    try store.createStageRun(
      StageRunRecord(
        id: id, workspace: "baseline", version: 1, pipeline: "pipeline", stage: "train", reason: goodReason))
    for event in [StageRunEvent.buildStart, .buildOK, .launchOK] {
      try store.transition(id, event, TransitionContext(source: "test"))
    }
  }

  @Test("every ending sets the infra outcome: completed, crashed, preempted, canceled; none while running")
  func everyEnding() throws {
    let fixture = try ProjectFixture()
    try fixture.mountedWorkspace()
    let store = fixture.project.store
    let endings: [(String, StageRunEvent, TransitionContext, StageRunState, InfraOutcome)] = [
      (
        "stage-preempted", .instanceLost, TransitionContext(source: "test", terminationCause: "preemption"),
        .terminated, .preempted
      ),
      ("stage-lost", .instanceLost, TransitionContext(source: "test", terminationCause: "lost"), .terminated, .crashed),
      ("stage-timeout", .timeout, TransitionContext(source: "test"), .terminated, .crashed),
      ("stage-failed", .exitFailure, TransitionContext(source: "test", exitCode: 3), .failed, .crashed),
      ("stage-canceled", .userCancel, TransitionContext(source: "test"), .canceled, .canceled),
    ]
    for (id, event, context, state, outcome) in endings {
      try Self.runningRun(store, id)
      #expect(try store.runResults(id)?.infraOutcome == nil, "\(id) has an outcome while it runs")
      try store.transition(id, event, context)
      #expect(try store.stageRun(id)?.state == state, "\(id)")
      #expect(try store.runResults(id)?.infraOutcome == outcome, "\(id)")
    }

    // A job that succeeded but whose non-critical finishing failed still awaits finalization.
    try Self.runningRun(store, "stage-warned")
    try store.transition("stage-warned", .exitSuccess, TransitionContext(source: "test"))
    try store.transition("stage-warned", .postRunFail, TransitionContext(source: "test", critical: false))
    #expect(try store.stageRun("stage-warned")?.state == .awaitingUserFinalization)
    let warned = try #require(try store.runResults("stage-warned"))
    #expect(warned.infraOutcome == .completed && warned.resultsStatus == .missing && warned.resultsAuto == nil)

    // A failure before the job started (upstream failed, a bad build) is a crash too.
    try store.createStageRun(
      StageRunRecord(
        id: "stage-blocked", workspace: "baseline", version: 1, pipeline: "p", stage: "s", reason: goodReason))
    try store.transition("stage-blocked", .prepareFail, TransitionContext(source: "test"))
    #expect(try store.runResults("stage-blocked")?.infraOutcome == .crashed)
  }

  static let trainSpec: JSONValue = [
    "primary_metric": "loss", "direction": "minimize", "min_value": 0, "goal_value": .double(0.01),
    "dataset_split": "train",
    "tolerance": .double(0.001), "context": "the training loss of the line fit",
    "secondary_metrics": ["slope", "never_logged"],
  ]

  static func number(_ value: JSONValue?) -> Double? {
    switch value {
    case .int(let integer): Double(integer)
    case .double(let double): double
    default: nil
    }
  }

  @Test("a run with a results spec gets auto results from its last metric values when it awaits finalization")
  func autoResults() throws {
    let fixture = try SamplePipeline.project()
    let store = fixture.project.store
    let train = try #require(fixture.read("modules/train.py"))
    try fixture.write("modules/train.py", train + "\nlog_metric(\"slope\", a)\n")
    let services = try ExecutionServices.open(fixture.project)
    let started = try Executor(services: services).start(RunRequest(target: "w1", reason: goodReason))
    let trainID = try #require(started.stageRuns["train"])
    let evaluateID = try #require(started.stageRuns["evaluate"])
    let preprocessID = try #require(started.stageRuns["preprocess"])
    try store.saveResultsSpec(stageRunID: trainID, spec: try JSONCoding.encode(Self.trainSpec))
    var evaluateSpec = Self.trainSpec
    evaluateSpec = .object((evaluateSpec.objectValue ?? [:]).merging(["primary_metric": "accuracy"]) { $1 })
    try store.saveResultsSpec(stageRunID: evaluateID, spec: try JSONCoding.encode(evaluateSpec))
    let final = try PipelineDriver(services: services, pipelineRunID: started.pipelineRunID).drive()
    #expect(final.status == "completed", "\(final.error ?? "")")

    let summaries = try store.metricSummaries(of: trainID)
    let loss = try #require(summaries.first { $0.name == "loss" })
    let slope = try #require(summaries.first { $0.name == "slope" })
    let results = try #require(try store.runResults(trainID))
    #expect(results.resultsStatus == .auto)
    #expect(results.primaryMetric == "loss" && results.primaryValue == loss.lastValue)
    #expect(results.mlOutcome == nil && results.resultsFinal == nil && results.infraOutcome == .completed)
    let auto = try JSONCoding.parse(try #require(results.resultsAuto))
    #expect(
      Set(auto.objectValue?.keys.map { $0 } ?? []) == [
        "primary_metric", "value", "direction", "dataset_split", "secondary",
      ])
    #expect(auto["primary_metric"] == "loss" && auto["direction"] == "minimize" && auto["dataset_split"] == "train")
    #expect(Self.number(auto["value"]) == loss.lastValue)
    #expect(auto["secondary"]?.objectValue?.keys.sorted() == ["slope"], "only metrics the run logged: \(auto)")
    #expect(Self.number(auto["secondary"]?["slope"]) == slope.lastValue)

    // The spec names a metric evaluate never logged: nothing to report, nothing guessed.
    let evaluate = try #require(try store.runResults(evaluateID))
    #expect(evaluate.resultsStatus == .missing && evaluate.resultsAuto == nil && evaluate.primaryMetric == nil)
    // No spec: preprocess logged a metric, but which one matters is the agent's call.
    #expect(!(try store.metricSummaries(of: preprocessID)).isEmpty)
    let preprocess = try #require(try store.runResults(preprocessID))
    #expect(preprocess.resultsStatus == .missing && preprocess.resultsAuto == nil && preprocess.primaryValue == nil)
  }
}
