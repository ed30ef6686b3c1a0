import Foundation

/// STATE.md's "Experiment Summary": per workspace that is mounted or has records, what is best,
/// what waits for finalization (and the call that finalizes it), the trend and the regressions,
/// so an agent that lost its context knows where its experiments stand before it runs again.
/// Nothing here depends on the clock (no "5m ago"), so STATE.md changes only when the data does.
struct ExperimentSummary {
  let store: ProjectStore

  func lines(workspaces: [WorkspaceRecord], mounts: [MountRecord]) throws(GoldfishError) -> [String] {
    var lines = ["", "## Experiment Summary", ""]
    var shown = 0
    for workspace in workspaces where workspace.status == "active" {
      let slot = mounts.first { $0.workspace == workspace.name }?.slot
      let recorded = try store.hasRecords(workspace: workspace.name)
      guard slot != nil || recorded else { continue }
      let context = try ExperimentContext.load(store, workspace: workspace.name)
      guard
        slot != nil || context.currentBest != nil || !context.awaitingFinalization.isEmpty
          || !context.recentTrend.isEmpty
      else { continue }
      shown += 1
      lines += ["### \(workspace.name)\(slot.map { " (slot \($0))" } ?? "")", ""]
      lines += context.summaryLines
      lines.append("")
    }
    if shown == 0 { lines += ["No results yet.", ""] }
    lines.removeLast()
    return lines
  }

}

extension ExperimentContext {
  /// The context as STATE.md and the CLI write it: one list item per fact, with the call to make.
  public var summaryLines: [String] {
    let context = self
    var lines: [String] = []
    if let best = context.currentBest {
      let result =
        best.value.map { value in
          "\(StateText.inline(best.metric ?? "result")) = \(ExperimentContext.number(value))"
            + (best.direction.map { " (\(StateText.inline($0)))" } ?? "")
        } ?? "no result recorded"
      let subject =
        best.stageRunID.map { "run \($0)\(best.stage.map { " (\($0))" } ?? "")" }
        ?? best.version.map { "version v\($0)" } ?? "record \(best.recordID ?? "?")"
      lines.append("- Best: @\(StateText.inline(best.tag)) → \(subject): \(result)")
    } else {
      lines.append("- Best: none tagged yet (tag_record(ref, \"best-1\") marks one; CLI: goldfish tag)")
    }
    if context.awaitingFinalization.isEmpty {
      lines.append("- Awaiting finalization: none")
    } else {
      let runs = context.awaitingFinalization.prefix(5).map { run in
        "\(run.stageRunID) (\(StateText.inline(run.stage)), \(run.infraOutcome ?? "ended"))"
      }
      // The context lists at most listLimit runs; past that the exact number is list_unfinalized_runs'.
      let listed = context.awaitingFinalization.count
      let count = listed >= ExperimentContext.listLimit ? "\(listed) or more" : "\(listed)"
      let more = context.awaitingFinalization.count > 5 ? " and \(context.awaitingFinalization.count - 5) more" : ""
      lines.append(
        "- Awaiting finalization (\(count)): \(runs.joined(separator: ", "))\(more). "
          + "Record each result with finalize_run(record_or_run_id, results) (CLI: goldfish finalize); "
          + "the next run waits for it.")
    }
    if context.recentTrend.isEmpty {
      lines.append("- Recent trend: no finalized results yet")
    } else {
      let metrics = Set(context.recentTrend.map(\.primaryMetric)).sorted().map { StateText.inline($0) }
      let values = context.recentTrend.reversed().map { ExperimentContext.number($0.value) }
      lines.append(
        "- Recent trend (\(metrics.joined(separator: ", ")), oldest → newest): \(values.joined(separator: " → "))")
    }
    for alert in context.regressionAlerts.prefix(5) {
      let change = ExperimentContext.number(abs(alert.delta))
      let side = alert.direction == "maximize" ? "below" : "above"
      lines.append(
        "- Regression alert: \(alert.stageRunID) \(StateText.inline(alert.metric)) = "
          + "\(ExperimentContext.number(alert.value)) is \(change) \(side) the best "
          + "\(ExperimentContext.number(alert.bestValue)) (tolerance \(ExperimentContext.number(alert.tolerance)))")
    }
    if context.regressionAlerts.count > 5 {
      lines.append("- … and \(context.regressionAlerts.count - 5) more regression alerts (get_experiment_context)")
    }
    return lines
  }
}
