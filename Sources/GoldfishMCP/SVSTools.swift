import Foundation
import Host
import MCP
import PluginKit

/// What SVS said about a run: get_run_svs_findings (upstream §1.7).
enum SVSTools {
  typealias S = JSONSchema

  static var all: [MCPTool] { [findings] }

  static let findings = MCPTool(
    name: "get_run_svs_findings",
    description:
      "Every SVS review of a stage run (output contracts after it, checks before and during it) with its findings, the failure patterns it matched, and the statistics of its outputs.",
    parameters: [.string("stage_run_id", "A stage run id (stage-…).", required: true)],
    output: [
      "success": S.boolean, "stage_run_id": S.string, "reviews": S.array(S.anyObject),
      "failure_patterns": S.array(S.anyObject), "output_stats": S.anyObject,
    ],
    annotations: .init(readOnlyHint: true)
  ) { call in
    let runID = try call.required("stage_run_id")
    return try await call.withProject { project in
      let view = try RunSVSFindingsView(store: project.store, stageRunID: runID)
      let count = view.reviews.reduce(0) { $0 + $1.findings.count }
      return try ToolOutput(
        encoding: view,
        text: "\(runID): \(view.reviews.count) reviews, \(count) findings"
          + (view.reviews.last.map { ", last \($0.reviewer) \($0.decision.rawValue)" } ?? ""))
    }
  }
}
