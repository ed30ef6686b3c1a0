import Foundation
import Host
import MCP

/// Experiment records: finalizing a run's result, inspecting and tagging records, the runs
/// waiting for a result, and a run's results spec (upstream's experiment tools).
enum RecordTools {
  typealias S = JSONSchema

  static var all: [MCPTool] { [finalizeRun, inspectRecord, tagRecord, listUnfinalizedRuns, saveResultsSpec] }

  static let comparisonSchema = S.object([
    "vs_previous": S.nullable(S.anyObject), "vs_best": S.nullable(S.anyObject),
    "config_diff": S.nullable(S.anyObject),
  ])

  static let finalizeRun = MCPTool(
    name: "finalize_run",
    description:
      "Record a run's authoritative result and see how it compares with the previous run of its stage and with the best (the newest best/best-… tag, or the spec's baseline_run). A run waiting for its result becomes completed. Finalizing again replaces the result.",
    parameters: [
      .string("record_or_run_id", "The run: its stage run id (stage-…), record id (ULID) or @tag.", required: true),
      .object(
        "results",
        "{primary_metric, direction (maximize|minimize), value, dataset_split (train|val|test|other), ml_outcome (success|partial|miss|unknown), notes (≥ 15 characters)}; optional unit, step, epoch, secondary, termination {infra_outcome}.",
        required: true),
      .string("workspace", "The workspace, when record_or_run_id is an @tag."),
    ],
    output: [
      "record_id": S.string, "stage_run_id": S.string, "results_status": S.string, "state": S.string,
      "comparison": comparisonSchema,
    ]
  ) { call in
    let ref = try call.required("record_or_run_id")
    let results = MCPValue.json(call.arguments["results"] ?? .null)
    let workspace = call.string("workspace")
    let outcome = try await call.withProject { project in
      try project.records.finalize(
        ref, results: results, by: "ml_claude",
        workspace: try workspace.map { try WorkspaceTools.resolveWorkspace(project, $0) })
    }
    let previous = outcome.comparison.vsPrevious.map { "; vs previous \($0.delta.map(signed) ?? "n/a")" } ?? ""
    let best = outcome.comparison.vsBest.map { "; vs best \($0.delta.map(signed) ?? "n/a")" } ?? ""
    return try ToolOutput(
      encoding: outcome, text: "finalized \(outcome.stageRunID) (\(outcome.state.rawValue))\(previous)\(best)")
  }

  static let inspectRecord = MCPTool(
    name: "inspect_record",
    description: "One experiment record (a run or a checkpoint) with its results, comparison and tags.",
    parameters: [
      .string("ref", "A record id (ULID), @tag (with workspace) or stage run id (stage-…).", required: true),
      .strings("include", "What to add: results, comparison, tags (default results and tags)."),
      .string("workspace", "The workspace (needed for @tag)."),
    ],
    output: [
      "record_id": S.string, "workspace_name": S.string, "type": S.string, "stage_run_id": S.nullable(S.string),
      "stage": S.nullable(S.string), "version": S.nullable(S.string), "experiment_group": S.nullable(S.string),
      "created_at": S.string, "results": S.nullable(S.anyObject), "comparison": S.nullable(S.anyObject),
      "tags": S.array(S.string), "pattern_matches": S.array(S.anyObject),
    ],
    annotations: .init(readOnlyHint: true)
  ) { call in
    let ref = try call.required("ref")
    let include = call.strings("include")
    let workspace = call.string("workspace")
    let detail = try await call.withProject { project in
      try project.records.inspect(
        ref, include: include, workspace: try workspace.map { try WorkspaceTools.resolveWorkspace(project, $0) })
    }
    return try ToolOutput(
      encoding: detail, text: "\(detail.record.kind.rawValue) \(detail.record.id) of \(detail.record.workspace)")
  }

  static let tagRecord = MCPTool(
    name: "tag_record",
    description:
      "Tag a run or checkpoint record (e.g. best-1). Tags are unique per workspace across run and version tags; the newest best/best-… tag is what comparisons call best.",
    parameters: [
      .string("ref", "A record id (ULID), stage run id (stage-…) or @tag (with workspace).", required: true),
      .string("tag", "The tag: \(TagName.rule).", required: true),
      .string("workspace", "The workspace (needed when ref is an @tag)."),
    ],
    output: [
      "record_id": S.nullable(S.string), "tag": S.string, "workspace_name": S.string, "record_type": S.string,
      "version": S.nullable(S.string),
    ]
  ) { call in
    let ref = try call.required("ref")
    let tag = try call.required("tag")
    let workspace = call.string("workspace")
    let outcome = try await call.withProject { project in
      try project.records.tag(
        ref, tag, workspace: try workspace.map { try WorkspaceTools.resolveWorkspace(project, $0) })
    }
    return try ToolOutput(encoding: outcome, text: "tagged \(outcome.recordID ?? "") \(outcome.tag)")
  }

  static let listUnfinalizedRuns = MCPTool(
    name: "list_unfinalized_runs",
    description:
      "Runs of a workspace that ended (completed, preempted or crashed) and wait for finalize_run, oldest first.",
    parameters: [.string("workspace", "The workspace, or a slot holding it.", required: true)],
    output: ["workspace": S.string, "runs": S.array(S.anyObject), "count": S.integer],
    annotations: .init(readOnlyHint: true)
  ) { call in
    let target = try call.required("workspace")
    let (workspace, runs) = try await call.withProject { project in
      let workspace = try WorkspaceTools.resolveWorkspace(project, target)
      return (workspace, try project.records.unfinalized(workspace: workspace))
    }
    return ToolOutput(
      ["workspace": .string(workspace), "runs": try MCPValue.encode(runs), "count": .int(runs.count)],
      text: runs.isEmpty
        ? "\(workspace): nothing to finalize"
        : "\(workspace): \(runs.count) to finalize: " + runs.prefix(3).map(\.results.stageRunID).joined(separator: ", ")
    )
  }

  static let saveResultsSpec = MCPTool(
    name: "save_results_spec",
    description: "Store (or replace) the results spec of a run: what it is expected to achieve and how to judge it.",
    parameters: [
      .string("stage_run_id", "The run (stage-…).", required: true),
      .string("record_id", "The run's record id (optional check)."),
      .object(
        "spec",
        "{primary_metric, direction, min_value, goal_value, dataset_split, tolerance, context (≥ 15 characters)}; optional secondary_metrics, baseline_run, failure_threshold, known_caveats.",
        required: true),
    ],
    output: ["success": S.boolean, "stage_run_id": S.string, "record_id": S.string]
  ) { call in
    let runID = try call.required("stage_run_id")
    let recordID = call.string("record_id")
    let spec = MCPValue.json(call.arguments["spec"] ?? .null)
    let record = try await call.withProject { project in
      try project.records.saveResultsSpec(stageRunID: runID, recordID: recordID, spec: spec)
    }
    return ToolOutput(
      ["success": .bool(true), "stage_run_id": .string(runID), "record_id": .string(record.id)],
      text: "saved the results spec of \(runID)")
  }

  static func signed(_ value: Double) -> String { value >= 0 ? "+\(value)" : "\(value)" }
}
