import Foundation

/// `status`: everything an agent needs to pick the project up in one answer, small enough
/// for a context window.
public struct ProjectStatus: Codable, Sendable {
  public struct RunLine: Codable, Sendable {
    public var id: String
    public var stage: String
    public var workspace: String
    public var version: String
    public var state: String
    public var since: String
    /// Why the run had no sandbox; absent when it had one.
    public var unsandboxed: String?
  }

  public var project: String
  public var root: String
  public var slots: [SlotSummary]
  public var workspaces: [WorkspaceSummary]
  public var activeRuns: [RunLine]
  public var recentRuns: [RunLine]
  public var sources: Int
  public var stateMD: String
  public var nextSteps: [String]
  /// Warm pool rows by state (every state, all backends): the pool at a glance.
  public var warmPool: [String: Int]

  enum CodingKeys: String, CodingKey {
    case project, root, slots, workspaces
    case activeRuns = "active_runs"
    case recentRuns = "recent_runs"
    case sources
    case stateMD = "state_md"
    case nextSteps = "next_steps"
    case warmPool = "warm_pool"
  }

  public init(project: Project) throws(GoldfishError) {
    let store = project.store
    self.project = project.settings.projectName
    root = project.location.root
    slots = try project.workspaces.slots()
    workspaces = try project.workspaces.list()
    let line = { (run: StageRunRecord) in
      RunLine(
        id: run.id, stage: run.stage, workspace: run.workspace, version: "v\(run.version)", state: run.state.rawValue,
        since: run.stateEnteredAt, unsandboxed: run.unsandboxed)
    }
    activeRuns = try store.stageRuns(states: StageRunState.allCases.filter(\.isActive), limit: 20).map(line)
    recentRuns = try store.stageRuns(states: StageRunState.allCases.filter(\.isSettled), limit: 5).map(line)
    sources = try store.sources().count
    warmPool = Dictionary(uniqueKeysWithValues: try store.workerCounts().map { ($0.key.rawValue, $0.value) })
    stateMD =
      (try? String(contentsOfFile: project.paths.stateMD, encoding: .utf8)).map { String($0.prefix(4000)) } ?? ""
    var steps: [String] = []
    if let reason = (activeRuns + recentRuns).first(where: { $0.unsandboxed != nil })?.unsandboxed {
      steps.append("WARNING: stage runs are NOT sandboxed: \(reason)")
    }
    if workspaces.isEmpty {
      steps.append("create a workspace: goldfish workspace create NAME --goal … --reason …")
    } else if slots.allSatisfy({ $0.workspace == nil }) {
      steps.append(
        "mount a workspace: goldfish workspace mount NAME \(project.settings.slots.first ?? "w1") --reason …")
    }
    for slot in slots {
      guard let problem = slot.problem else { continue }
      steps.append("slot \(slot.slot) cannot be saved as it is: \(problem)")
    }
    for slot in slots where slot.dirty == true {
      steps.append("slot \(slot.slot) has \(slot.changedFiles ?? 0) unsaved changes: checkpoint or run it")
    }
    nextSteps = steps
  }
}
