import Foundation

/// The project at a glance, as `goldfish status --json` and MCP `status` show it, with the MCP
/// field names. `next_steps` is each face's own: the CLI names commands, MCP names tool calls.
public struct StatusView: Encodable, Sendable {
  /// STATE.md is cut here in both faces: the answer must fit an agent's context.
  public static let stateMDLimit = 2500

  public var status: ProjectStatus
  public var nextSteps: [String]

  /// `nextSteps`: the face's own; the status's (CLI commands) when nil.
  public init(_ status: ProjectStatus, nextSteps: [String]? = nil) {
    self.status = status
    self.nextSteps = nextSteps ?? status.nextSteps
  }

  enum Keys: String, CodingKey {
    case projectName = "project_name", root, slots, workspaces, activeRuns = "active_runs"
    case recentRuns = "recent_runs", sourceCount = "source_count", stateMD = "state_md", nextSteps = "next_steps"
    case warmPool = "warm_pool", blocks, recentOutcomes = "recent_outcomes", alerts
  }

  public func encode(to encoder: any Encoder) throws {
    var fields = encoder.container(keyedBy: Keys.self)
    try fields.encode(status.project, forKey: .projectName)
    try fields.encode(status.root, forKey: .root)
    try fields.encode(status.slots.map(SlotView.init), forKey: .slots)
    try fields.encode(status.workspaces, forKey: .workspaces)
    try fields.encode(status.activeRuns, forKey: .activeRuns)
    try fields.encode(status.recentRuns, forKey: .recentRuns)
    try fields.encode(status.sources, forKey: .sourceCount)
    try fields.encode(ViewText.truncated(status.stateMD, limit: Self.stateMDLimit), forKey: .stateMD)
    try fields.encode(nextSteps, forKey: .nextSteps)
    try fields.encode(status.warmPool, forKey: .warmPool)
    try fields.encode(Self.blocks(status.outcomes), forKey: .blocks)
    try fields.encode(status.outcomes.recentOutcomes, forKey: .recentOutcomes)
    try fields.encode(["failed_recent": status.outcomes.failedRecent], forKey: .alerts)
  }

  /// Upstream's `blocks`: what stops the next run (runs waiting for finalization, per workspace).
  public static func blocks(_ outcomes: RunOutcomes) -> [String: [String: [String: PendingFinalization]]] {
    ["pending_finalization": ["by_workspace": outcomes.pendingFinalization]]
  }

  /// A slot with every field present (null when empty), so a reader never guesses at a missing key.
  struct SlotView: Encodable {
    var slot: SlotSummary
    init(_ slot: SlotSummary) { self.slot = slot }

    enum Keys: String, CodingKey {
      case slot, state, workspace, version, dirty, changedFiles = "changed_files", problem
    }

    func encode(to encoder: any Encoder) throws {
      var fields = encoder.container(keyedBy: Keys.self)
      try fields.encode(slot.slot, forKey: .slot)
      try fields.encode(slot.workspace == nil ? "empty" : "mounted", forKey: .state)
      try fields.encode(slot.workspace, forKey: .workspace)
      try fields.encode(slot.version, forKey: .version)
      try fields.encode(slot.dirty, forKey: .dirty)
      try fields.encode(slot.changedFiles, forKey: .changedFiles)
      try fields.encode(slot.problem, forKey: .problem)
    }
  }
}

/// Text cut to a size both faces agree on, saying how much was left out.
public enum ViewText {
  public static func truncated(_ text: String, limit: Int) -> String {
    guard text.count > limit else { return text }
    return String(text.prefix(limit)) + "\n… (truncated, \(text.count - limit) more characters)"
  }
}
