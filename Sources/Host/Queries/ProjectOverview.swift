import Foundation
import GRDB
import PluginKit

/// What the web overview shows of a project, read with bounded queries only, so it costs the
/// same with a hundred runs or a hundred thousand: active runs through the state index, recent
/// outcomes newest-first along stage_runs_by_time, failures among the newest `failureWindow`
/// runs, and runs awaiting finalization counted up to `pendingCap` per workspace (along
/// run_results_pending, unsorted). STATE.md is shown as last written (every change Goldfish makes rewrites
/// it); `goldfish status` is the full, recomputed answer.
public struct ProjectOverview: Encodable, Sendable {
  public struct Pending: Encodable, Sendable, Equatable {
    public var workspace: String
    /// Runs waiting, counted up to `pendingCap`.
    public var count: Int
    /// True when there are more than `count`.
    public var more: Bool
    /// One waiting run (the first along the index: no sort, so the read stays bounded).
    public var example: String
  }

  public var projectName: String
  public var root: String
  public var workspaces: [WorkspaceSummary]
  public var activeRuns: [ProjectStatus.RunLine]
  public var pendingFinalization: [Pending]
  public var recentOutcomes: [RunOutcomes.Outcome]
  public var failedRecent: [RunOutcomes.Failure]
  public var stateMD: String

  enum CodingKeys: String, CodingKey {
    case projectName = "project_name"
    case root, workspaces
    case activeRuns = "active_runs"
    case pendingFinalization = "pending_finalization"
    case recentOutcomes = "recent_outcomes"
    case failedRecent = "failed_recent"
    case stateMD = "state_md"
  }

  public static let pendingCap = 100
  public static let failureWindow = 2_000

  public init(project: Project, now: Date = Date()) throws(GoldfishError) {
    let store = project.store
    projectName = project.settings.projectName
    root = project.location.root
    workspaces = try project.workspaces.list()
    activeRuns = try store.stageRuns(states: RunOutcomes.workingStates, limit: 20).map {
      ProjectStatus.RunLine(
        id: $0.id, stage: $0.stage, workspace: $0.workspace, version: "v\($0.version)", state: $0.state.rawValue,
        since: $0.stateEnteredAt, unsandboxed: $0.unsandboxed)
    }
    pendingFinalization = try store.pendingFinalizationSample(
      workspaces: workspaces.map(\.name), cap: Self.pendingCap)
    recentOutcomes = try store.stageRuns(states: RunOutcomes.endedStates, limit: 5).map { run in
      let ended = run.finishedAt ?? run.stateEnteredAt
      return RunOutcomes.Outcome(
        runID: run.id, workspace: run.workspace, stage: run.stage, outcome: run.state.rawValue, endedAt: ended,
        age: ExperimentContext.age(of: ended, now: now))
    }
    failedRecent = try store.recentFailures(within: Self.failureWindow, limit: 5).map { run in
      RunOutcomes.Failure(
        runID: run.id, workspace: run.workspace, stage: run.stage, state: run.state.rawValue, reason: run.reason,
        error: run.error.map { String($0.prefix(300)) },
        age: ExperimentContext.age(of: run.finishedAt ?? run.stateEnteredAt, now: now))
    }
    stateMD =
      (try? String(contentsOfFile: project.paths.stateMD, encoding: .utf8)).map { String($0.prefix(4000)) } ?? ""
  }
}

extension ProjectStore {
  /// Failed or terminated runs among the newest `window` runs, newest first.
  func recentFailures(within window: Int, limit: Int) throws(GoldfishError) -> [StageRunRecord] {
    try read { db in
      try StageRunRecord.fetchAll(
        db,
        sql: """
          SELECT * FROM (SELECT * FROM stage_runs ORDER BY created_at DESC, id DESC LIMIT ?)
          WHERE state IN ('failed', 'terminated') ORDER BY created_at DESC, id DESC LIMIT ?
          """,
        arguments: [window, limit])
    }
  }

  /// Per workspace, the runs awaiting finalization counted up to `cap` (the same rule as
  /// `pendingFinalization`) and the oldest of them.
  func pendingFinalizationSample(workspaces: [String], cap: Int) throws(GoldfishError) -> [ProjectOverview.Pending] {
    let outcomes = InfraOutcome.gating.map(\.rawValue)
    let marks = outcomes.map { _ in "?" }.joined(separator: ", ")
    return try read { db in
      try workspaces.sorted().compactMap { name in
        let ids = try String.fetchAll(
          db,
          sql: """
            SELECT r.stage_run_id FROM run_results r JOIN stage_runs s ON s.id = r.stage_run_id
            WHERE r.workspace = ? AND r.results_status IN ('missing', 'auto') AND r.gated = 1
              AND s.reused_from IS NULL AND r.infra_outcome IN (\(marks))
            LIMIT ?
            """,
          arguments: StatementArguments([name] + outcomes) + [cap + 1])
        guard let first = ids.first else { return nil }
        return ProjectOverview.Pending(
          workspace: name, count: min(ids.count, cap), more: ids.count > cap, example: first)
      }
    }
  }
}
