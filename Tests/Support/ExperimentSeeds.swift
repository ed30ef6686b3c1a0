import Foundation
import GRDB
import PluginKit
import Testing

@testable import Host

/// Experiment history for tests of the experiment view: stage runs made through the store's own
/// API (each gets its record in the same transaction) and moved through their real transitions;
/// finalization and tags are written as rows with SQL, the shape finalize_run and tag_record
/// (other parts of issue #13) store them, so the view is tested on what the database holds.
enum ExperimentSeeds {
  /// A stage run that ended as `outcome` says (completed ones wait for finalization), with a
  /// results spec when `tolerance` is given. Returns the stage run id.
  @discardableResult
  static func run(
    _ project: Project, _ id: String, workspace: String, stage: String = "train", version: Int = 1,
    outcome: InfraOutcome = .completed, tolerance: Double? = nil, metric: String = "val_acc",
    direction: String = "maximize"
  ) throws -> String {
    let store = project.store
    try store.createStageRun(
      StageRunRecord(
        id: id, workspace: workspace, version: version, pipeline: "pipeline", stage: stage, reason: goodReason))
    let context = TransitionContext(source: "executor")
    try store.transition(id, .buildStart, context)
    try store.transition(id, .buildOK, context)
    try store.transition(id, .launchOK, context)
    switch outcome {
    case .completed:
      try store.transition(id, .exitSuccess, context)
      try store.transition(id, .postRunOK, context)
    case .canceled:
      try store.transition(id, .userCancel, context)
    default:
      try store.transition(id, .exitFailure, TransitionContext(source: "executor", exitCode: 1))
    }
    try store.setInfraOutcome(id, outcome)
    if let tolerance {
      let spec: JSONValue = [
        "primary_metric": .string(metric), "direction": .string(direction), "min_value": 0, "goal_value": 1,
        "dataset_split": "val", "tolerance": .double(tolerance), "context": "held-out accuracy on the val split",
      ]
      try store.saveResultsSpec(stageRunID: id, spec: try JSONCoding.encode(spec))
    }
    return id
  }

  /// Finalizes a run the way finalize_run stores it, and ends its awaiting state.
  static func finalize(
    _ project: Project, _ id: String, value: Double, metric: String = "val_acc", direction: String = "maximize",
    mlOutcome: MLOutcome = .success
  ) throws {
    let results: JSONValue = [
      "primary_metric": .string(metric), "direction": .string(direction), "value": .double(value),
      "dataset_split": "val", "ml_outcome": .string(mlOutcome.rawValue), "notes": "measured on the held-out split",
    ]
    let text = try JSONCoding.encode(results)
    try project.store.write { db in
      try db.execute(
        sql: """
          UPDATE run_results SET results_status = 'finalized', results_final = ?, primary_metric = ?,
            primary_value = ?, ml_outcome = ?, finalized_by = 'test', finalized_at = ?
          WHERE stage_run_id = ?
          """,
        arguments: [text, metric, value, mlOutcome.rawValue, Timestamp.now(), id])
    }
    if try project.store.stageRun(id)?.state == .awaitingUserFinalization {
      try project.store.transition(id, .userFinalize, TransitionContext(source: "mcp_tool"))
    }
  }

  /// Tags a run's record (a run tag; tags share one namespace per workspace).
  static func tag(_ project: Project, _ id: String, _ tag: String) throws {
    let record = try #require(try project.store.record(ofStageRun: id))
    try project.store.write { db in
      try db.execute(
        sql: "INSERT INTO record_tags (workspace, tag, record_id, version, created_at) VALUES (?, ?, ?, ?, ?)",
        arguments: [record.workspace, tag, record.id, record.version, Timestamp.now()])
    }
  }

  static func recordID(_ project: Project, _ id: String) throws -> String {
    try #require(try project.store.record(ofStageRun: id)).id
  }
}
