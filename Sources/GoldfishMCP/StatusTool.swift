import Foundation
import Host
import MCP

/// `status`: everything a newcomer agent (or one that lost its context) needs in one call,
/// kept small: slots, workspaces with versions, active and recent runs, STATE.md, next steps.
enum StatusTool {
  typealias S = JSONSchema

  static let tool = MCPTool(
    name: "status",
    description:
      "Where the project stands, in one call: slots and what they hold, workspaces and their versions, active and recent runs with their outcome, STATE.md (truncated) and what to do next. Call it first.",
    parameters: [],
    output: [
      "project_name": S.string, "root": S.string, "slots": S.array(S.anyObject), "workspaces": S.array(S.anyObject),
      "active_runs": S.array(S.anyObject), "recent_runs": S.array(S.anyObject), "source_count": S.integer,
      "state_md": S.string, "next_steps": S.strings, "warm_pool": S.anyObject, "blocks": blocksSchema,
      "recent_outcomes": S.array(S.anyObject), "alerts": S.anyObject,
    ],
    annotations: .init(readOnlyHint: true)
  ) { call in
    try await call.withProject { project in
      let status = try ProjectStatus(project: project)
      let steps = nextSteps(status, slots: project.settings.slots)
      let output = try MCPValue.encode(StatusView(status, nextSteps: steps))
      let mounted = status.slots.filter { $0.workspace != nil }.count
      return ToolOutput(
        output,
        text:
          "Project \(status.project): \(status.workspaces.count) workspaces, \(mounted) mounted, \(status.activeRuns.count) runs active"
      )
    }
  }

  static let blocksSchema = S.object([
    "pending_finalization": S.object(["by_workspace": S.anyObject])
  ])

  /// Upstream's `blocks`, as `status` shows it (the dashboard shows it too).
  static func blocks(_ outcomes: RunOutcomes) throws(GoldfishError) -> Value {
    try MCPValue.encode(StatusView.blocks(outcomes))
  }

  /// What to do next, in tool calls (ProjectStatus's own steps name CLI commands).
  static func nextSteps(_ status: ProjectStatus, slots: [String]) -> [String] {
    var steps: [String] = []
    if let reason = (status.activeRuns + status.recentRuns).first(where: { $0.unsandboxed != nil })?.unsandboxed {
      steps.append("WARNING: stage runs are NOT sandboxed: \(reason)")
    }
    if status.sources == 0 {
      steps.append("register data stages read: register_source(name, gcs_path, description, reason)")
    }
    if status.workspaces.isEmpty {
      steps.append("create a workspace: create_workspace(name, goal, reason)")
    } else if status.slots.allSatisfy({ $0.workspace == nil }) {
      steps.append("mount a workspace: mount(workspace, slot: \"\(slots.first ?? "w1")\", reason)")
    }
    for slot in status.slots {
      guard let problem = slot.problem else { continue }
      steps.append("slot \(slot.slot) cannot be saved as it is: \(problem)")
    }
    for slot in status.slots where slot.dirty == true {
      steps.append("slot \(slot.slot) has \(slot.changedFiles ?? 0) unsaved changes: save_version or run it")
    }
    for (workspace, pending) in status.pendingFinalization.sorted(by: { $0.key < $1.key }) {
      steps.append(
        "\(pending.count) run\(pending.count == 1 ? "" : "s") of \(workspace) await finalization (the next run waits): "
          + "finalize_run(record_or_run_id: \"\(pending.example)\", results) "
          + "or list_unfinalized_runs(workspace: \"\(workspace)\")")
    }
    for run in status.activeRuns.prefix(3) {
      steps.append("\(run.id) (\(run.stage)) is \(run.state): wait(run_id: \"\(run.id)\") or logs")
    }
    for run in status.recentRuns where run.state == "failed" {
      steps.append("\(run.id) (\(run.stage)) failed: logs(run_id: \"\(run.id)\") and inspect_run to see why")
    }
    if steps.isEmpty, let slot = status.slots.first(where: { $0.workspace != nil }) {
      steps.append(
        "edit the files of \(slot.workspace ?? "") in slot \(slot.slot), then run(workspace: \"\(slot.slot)\", reason)")
    }
    return steps
  }
}

/// Every tool the server offers, by group. Later issues add theirs here.
enum ToolRegistry {
  static var all: [MCPTool] {
    [StatusTool.tool] + WorkspaceTools.all + WarmPoolTools.all + ExecutionTools.all + DataTools.all + UtilityTools.all
      + InsightTools.all + HistoryTools.all + ExperimentTools.all + RecordTools.all + MetricsTools.all + SVSTools.all
      + ImageTools.all + LogSearchTools.all + BackupTools.all + PatternTools.all + StopTools.all
  }
}
