import Foundation
import PluginKit

@testable import Host

/// The sample pipeline (Examples/Pipeline) as a project on the process backend, and one run of
/// it in this process: what most suites that need a real run start from.
enum SamplePipeline {
  static let samples = TestEnvironment.packageRoot + "/Examples/Pipeline"

  /// A project whose workspace `line` holds the sample pipeline, mounted in w1, with the
  /// `points` dataset registered.
  /// `configure` rewrites the goldfish.yaml text init wrote (another backend, another storage).
  static func project(configure: ((String) -> String)? = nil) throws -> ProjectFixture {
    let fixture = try ProjectFixture(from: samples) { root in
      guard let configure else { return }
      let path = root + "/goldfish.yaml"
      try configure(try String(contentsOfFile: path, encoding: .utf8)).write(
        toFile: path, atomically: true, encoding: .utf8)
    }
    _ = try fixture.project.sources.register(
      .init(
        name: "points", location: samples + "/points.csv", description: "noisy points on a line", metadata: nil,
        reason: goodReason))
    _ = try fixture.project.workspaces.create(name: "line", goal: "fit a line", reason: goodReason)
    _ = try fixture.project.workspaces.mount("line", slot: "w1", reason: goodReason)
    return fixture
  }

  /// A results spec for the sample's runs: MCP `run` requires one (upstream's results_spec).
  static var resultsSpec: [String: Any] {
    [
      "primary_metric": "loss", "direction": "minimize", "min_value": 1.0, "goal_value": 0.01,
      "dataset_split": "train", "tolerance": 0.01, "context": "mean squared error of the fitted line",
    ]
  }

  /// goldfish.yaml text (as `project(configure:)` takes it) with the finalization gate off: for
  /// tests about something else that start several runs of one workspace over MCP.
  static func withoutFinalizationGate(_ text: String) -> String {
    text.replacingOccurrences(
      of: "  min_reason_length: 15", with: "  min_reason_length: 15\n  finalization_gate: false")
  }

  static func run(
    _ fixture: ProjectFixture, _ stages: [String] = [], overrides: [String: JSONValue] = [:], rerun: Bool = false
  )
    throws -> (PipelineRunRecord, [StageRunRecord])
  {
    let services = try ExecutionServices.open(fixture.project)
    let started = try Executor(services: services).start(
      RunRequest(target: "w1", stages: stages, configOverrides: overrides, reason: goodReason, rerun: rerun))
    let final = try PipelineDriver(services: services, pipelineRunID: started.pipelineRunID).drive()
    return (final, try fixture.project.store.stageRuns(ofPipelineRun: final.id))
  }
}
