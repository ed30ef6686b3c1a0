import Foundation

/// Renders STATE.md from the database: what an agent that lost its context reads first.
struct StateMarkdown {
  let project: Project

  func render() throws(GoldfishError) -> String {
    let store = project.store
    let workspaces = try store.workspaces()
    let mounts = try store.mounts()
    let runs = try store.stageRuns(states: RunOutcomes.workingStates, limit: 20)
    let ended = try store.stageRuns(states: RunOutcomes.endedStates, limit: 5)
    let actions = try store.recentAudit(limit: project.settings.maxRecentActions)
    let thoughts = try store.recentThoughts(limit: 10)
    var lines: [String] = [
      "# \(StateText.inline(project.settings.projectName))", "",
      "_Written by Goldfish after every change; edits here are overwritten. "
        + "Add notes with `goldfish thought` (MCP: `log_thought`)._", "",
    ]

    lines += ["## Active goals", ""]
    let mounted = mounts.compactMap { mount in workspaces.first { $0.name == mount.workspace }.map { (mount, $0) } }
    if mounted.isEmpty {
      lines.append("No workspace is mounted. Create one: `goldfish workspace create NAME --goal … --reason …`.")
    }
    for (mount, workspace) in mounted {
      lines.append("- **\(workspace.name)** (slot \(mount.slot)): \(StateText.inline(workspace.goal))")
    }

    lines += ["", "## Workspaces", ""]
    if workspaces.isEmpty { lines.append("None yet.") }
    for workspace in workspaces {
      let versions = try store.versions(of: workspace.name)
      let place = mounts.first { $0.workspace == workspace.name }.map { "mounted in \($0.slot)" } ?? "hibernated"
      let latest = versions.last.map { "latest \($0.label)" } ?? "no versions yet"
      lines.append(
        "- \(workspace.name): \(place), \(versions.count) versions, \(latest). Goal: \(StateText.inline(workspace.goal))"
      )
    }

    // A run that had no sandbox could write anywhere this user can: said before anything else.
    let latest = try store.stageRuns(limit: 5).first { $0.backendHandle != nil }
    if let reason = latest?.unsandboxed {
      lines += [
        "", "## WARNING: stage runs are not sandboxed", "",
        "The latest run (\(latest?.id ?? "")) ran without a sandbox: \(StateText.inline(reason))",
      ]
    }

    lines += ["", "## Background runs", ""]
    if runs.isEmpty { lines.append("None running.") }
    for run in runs {
      lines.append(
        "- \(run.id): \(StateText.inline(run.stage)) of \(run.workspace)@v\(run.version), \(run.state.rawValue) "
          + "since \(run.stateEnteredAt)" + (run.unsandboxed == nil ? "" : " (NOT SANDBOXED)")
      )
    }

    lines += ["", "## Recent runs", ""]
    if ended.isEmpty { lines.append("None yet.") }
    let findings = Dictionary(try store.runsWithFindings(limit: 20).map { ($0.run, $0.review) }) { first, _ in first }
    for run in ended {
      lines.append(
        "- \(RunOutcomes.mark(run.state)): \(run.id) \(StateText.inline(run.stage)) "
          + "of \(run.workspace)@v\(run.version) "
          + "(\(run.finishedAt ?? run.stateEnteredAt)): \(StateText.inline(run.reason, limit: 200))")
      if let review = findings[run.id] { lines.append("  - " + Self.svsLine(review)) }
    }

    lines += try ExperimentSummary(store: store).lines(workspaces: workspaces, mounts: mounts)

    // Notes someone wrote for the next reader come before the log of actions.
    if !thoughts.isEmpty {
      lines += ["", "## Thoughts", ""]
      for thought in thoughts {
        lines.append(
          "- \(thought.timestamp)\(thought.workspace.map { " [\($0)]" } ?? ""): \(StateText.inline(thought.text, limit: TextLimits.thought))"
        )
      }
    }
    lines += ["", "## Recent actions", ""]
    if actions.isEmpty { lines.append("None yet.") }
    for action in actions {
      let subject = [action.workspace, action.slot.map { "slot \($0)" }].compactMap { $0 }.joined(separator: ", ")
      lines.append(
        "- \(action.timestamp) \(action.operation)\(subject.isEmpty ? "" : " (\(subject))"): "
          + StateText.inline(action.reason))
    }

    if !project.settings.invariants.isEmpty {
      lines += ["", "## Invariants (do not change)", ""]
      lines += project.settings.invariants.map { "- \(StateText.inline($0))" }
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// `SVS blocked (contracts): 2 findings: output x has shape [5], … (goldfish svs RUN)`.
  static func svsLine(_ review: SVSReview) -> String {
    let shown = review.findings.filter { $0.severity >= .warning }
    return
      "SVS \(review.decision.rawValue) (\(review.reviewer)): \(shown.count) finding\(shown.count == 1 ? "" : "s"): "
      + StateText.inline(shown.prefix(2).map(\.message).joined(separator: "; "), limit: 300)
      + " (`goldfish svs \(review.stageRunID)`)"
  }
}
