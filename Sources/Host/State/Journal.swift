import Foundation
import PluginKit

/// The audit log and STATE.md: every user-visible change is recorded with its reason and
/// STATE.md is regenerated from the database right after.
public struct Journal: Sendable {
  let project: Project

  public func record(
    _ operation: String, reason: String, slot: String? = nil, workspace: String? = nil,
    details: JSONValue? = nil
  ) throws(GoldfishError) {
    try project.store.audit(operation, reason: reason, slot: slot, workspace: workspace, details: details)
    try regenerateStateMD()
  }

  /// `log_thought`: a note for whoever picks the project up next.
  public func thought(_ text: String, workspace: String?, runID: String? = nil) throws(GoldfishError) {
    let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
    guard !trimmed.isEmpty else {
      throw GoldfishError(.invalidArgument, "the thought is empty", hint: "write what you learned or plan")
    }
    // As upstream: a thought is held to the same minimum as a reason (audit.min_reason_length).
    let minimum = project.settings.minReasonLength
    guard trimmed.count >= minimum else {
      throw GoldfishError(
        .invalidArgument, "the thought is \(trimmed.count) characters; it needs at least \(minimum)",
        hint: "say what you learned or plan in a full sentence (audit.min_reason_length in goldfish.yaml)")
    }
    try TextLimits.check(trimmed, field: "thought", limit: TextLimits.thought)
    if let workspace, try project.store.workspace(workspace) == nil {
      throw GoldfishError(.notFound, "no workspace \(workspace)")
    }
    try project.store.addThought(trimmed, workspace: workspace, runID: runID)
    try regenerateStateMD()
  }

  /// Rewrites STATE.md when it no longer matches the database: a process killed between a
  /// run's final state and its STATE.md update leaves it showing the run as still running.
  public func refreshStateMDIfStale() throws(GoldfishError) {
    let text = try StateMarkdown(project: project).render()
    guard (try? String(contentsOfFile: project.paths.stateMD, encoding: .utf8)) != text else { return }
    try writeStateMD(text)
  }

  public func regenerateStateMD() throws(GoldfishError) {
    try writeStateMD(try StateMarkdown(project: project).render())
  }

  private func writeStateMD(_ text: String) throws(GoldfishError) {
    do {
      // Unique per call, not per process: an MCP server regenerates from several threads at
      // once, and a shared temp name let one rename another's file away (ENOENT).
      let temporary = project.paths.stateMD + ".tmp-\(getpid())-\(UUID().uuidString.prefix(8))"
      try text.write(toFile: temporary, atomically: false, encoding: .utf8)
      guard rename(temporary, project.paths.stateMD) == 0 else {
        throw GoldfishError(.ioFailed, "cannot replace \(project.paths.stateMD): \(String(cString: strerror(errno)))")
      }
    } catch let error as GoldfishError {
      throw error
    } catch {
      throw GoldfishError(.ioFailed, "cannot write \(project.paths.stateMD): \(error.localizedDescription)")
    }
  }
}
