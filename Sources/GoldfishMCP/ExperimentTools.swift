import Foundation
import Host
import MCP
import PluginKit

/// `get_experiment_context`: where a workspace's experiments stand (upstream's tool).
enum ExperimentTools {
  typealias S = JSONSchema

  static var all: [MCPTool] { [getExperimentContext] }

  static let contextSchema: [String: Value] = [
    "workspace": S.string,
    "current_best": S.nullable(
      S.object([
        "record_id": S.nullable(S.string), "stage_run_id": S.nullable(S.string), "stage": S.nullable(S.string),
        "version": S.nullable(S.string), "tag": S.string, "metric": S.nullable(S.string),
        "value": S.nullable(S.number), "direction": S.nullable(S.string), "results_status": S.nullable(S.string),
      ])),
    "awaiting_finalization": S.array(S.anyObject),
    "recent_trend": S.array(S.anyObject),
    "regression_alerts": S.array(S.anyObject),
  ]

  static let getExperimentContext = MCPTool(
    name: "get_experiment_context",
    description:
      "Where a workspace's experiments stand: the current best (the record of the newest best/best-* tag, with its metric and value), runs awaiting finalization, the last 10 finalized results (newest first) and regression alerts (finalized runs newer than the best that are worse than it by more than their results spec's tolerance, default 0.01). Call it before deciding what to run next.",
    parameters: [.string("workspace", "The workspace, or a slot holding it.", required: true)],
    output: contextSchema,
    annotations: .init(readOnlyHint: true)
  ) { call in
    let target = try call.required("workspace")
    let context = try await call.withProject { project throws -> ExperimentContext in
      let workspace = try WorkspaceTools.resolveWorkspace(project, target)
      guard try project.store.workspace(workspace) != nil else {
        throw GoldfishError(.notFound, "no workspace \(workspace)", hint: "list_workspaces shows them")
      }
      return try ExperimentContext.load(project.store, workspace: workspace)
    }
    return ToolOutput(try MCPValue.encode(context.json), text: summary(context))
  }

  /// One line an agent reading only text can act on.
  static func summary(_ context: ExperimentContext) -> String {
    let best =
      context.currentBest.map { best in
        "best @\(best.tag)" + (best.value.map { " \(best.metric ?? "") = \(ExperimentContext.number($0))" } ?? "")
      } ?? "no best tagged"
    return
      "\(context.workspace): \(best), \(context.awaitingFinalization.count) awaiting finalization, "
      + "\(context.recentTrend.count) recent results, \(context.regressionAlerts.count) regression alerts"
  }
}
