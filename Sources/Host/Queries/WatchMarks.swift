import GRDB

/// What changes when a run or a project moves on, read cheaply so the web face's event streams
/// can ask often and push only when the mark differs from the last one they sent.
public struct RunWatchMark: Equatable, Sendable {
  public var state: String
  public var stateEnteredAt: String
  /// Points logged, over every metric.
  public var metricPoints: Int
}

extension ProjectStore {
  public func runWatchMark(_ id: String) throws(GoldfishError) -> RunWatchMark? {
    try read { db in
      guard
        let row = try Row.fetchOne(
          db, sql: "SELECT state, state_entered_at FROM stage_runs WHERE id = ?", arguments: [id])
      else { return nil }
      let points =
        try Int.fetchOne(
          db, sql: "SELECT COALESCE(SUM(count), 0) FROM run_metrics_summary WHERE stage_run_id = ?", arguments: [id])
        ?? 0
      return RunWatchMark(state: row["state"], stateEnteredAt: row["state_entered_at"], metricPoints: points)
    }
  }

  /// The active runs with their states and the newest run: a project page is stale when it changes.
  public func projectWatchMark() throws(GoldfishError) -> String {
    let active = try stageRuns(states: StageRunState.allCases.filter(\.isActive), limit: 200)
    let newest = try stageRuns(limit: 1).first
    return (active.map { "\($0.id)=\($0.state.rawValue)" } + [newest.map { "\($0.id)=\($0.state.rawValue)" } ?? ""])
      .joined(separator: ",")
  }
}
