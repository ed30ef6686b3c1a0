import GRDB

/// One entry of a workspace's history: a stage run, or a version saved by anything but a run
/// (save_version, an auto-save before a rollback, hibernate): a checkpoint.
public struct HistoryEntry: Codable, Sendable, Equatable, FetchableRecord {
  public enum Kind: String, Codable, Sendable { case run, checkpoint }

  public var kind: Kind
  /// The stage run id for runs, the version tag for checkpoints.
  public var recordID: String
  public var version: Int
  public var createdAt: String
  public var stage: String?
  /// The run's reason, or the checkpoint's message.
  public var reason: String
  /// The run's state; nil for checkpoints.
  public var state: String?

  enum CodingKeys: String, CodingKey {
    case kind, recordID = "record_id", version, createdAt = "created_at", stage, reason, state
  }
}

/// A page of history and how much there is in all.
public struct HistoryPage: Sendable {
  public var entries: [HistoryEntry]
  public var total: Int
}

extension ProjectStore {
  /// A workspace's runs and checkpoints, newest first (or oldest first), one page at a time.
  /// Each arm reads the (workspace, created_at) order straight off an index and SQLite merges
  /// the two ordered arms, and the run total is one row of stage_run_counts, so a page costs the
  /// same with a thousand runs or a million.
  public func history(
    workspace: String, kind: HistoryEntry.Kind? = nil, stage: String? = nil, newestFirst: Bool = true,
    limit: Int, offset: Int
  ) throws(GoldfishError) -> HistoryPage {
    try read { db in
      var arms: [String] = []
      var arguments: [DatabaseValue] = []
      var counts: [(sql: String, arguments: [DatabaseValue])] = []
      if kind != .checkpoint {
        let stageFilter = stage == nil ? "" : " AND stage = ?"
        arms.append(
          "SELECT 'run' AS kind, id AS record_id, version, created_at, stage, reason, state"
            + " FROM stage_runs WHERE workspace = ?\(stageFilter)")
        let values = [workspace.databaseValue] + (stage.map { [$0.databaseValue] } ?? [])
        arguments += values
        // stage_run_counts (kept by triggers) instead of counting a million rows one by one.
        counts.append(("SELECT COALESCE(SUM(runs), 0) FROM stage_run_counts WHERE workspace = ?\(stageFilter)", values))
      }
      // A checkpoint has no stage: filtering by stage leaves only runs.
      if kind != .run && stage == nil {
        arms.append(
          "SELECT 'checkpoint' AS kind, tag AS record_id, version, created_at, NULL AS stage, message AS reason,"
            + " NULL AS state FROM workspace_versions WHERE workspace = ? AND created_by <> 'run'")
        arguments.append(workspace.databaseValue)
        counts.append(
          (
            "SELECT COUNT(*) FROM workspace_versions WHERE workspace = ? AND created_by <> 'run'",
            [workspace.databaseValue]
          ))
      }
      guard !arms.isEmpty else { return HistoryPage(entries: [], total: 0) }
      let direction = newestFirst ? "DESC" : "ASC"
      let sql =
        arms.joined(separator: " UNION ALL ")
        + " ORDER BY created_at \(direction), record_id \(direction) LIMIT ? OFFSET ?"
      let entries = try HistoryEntry.fetchAll(
        db, sql: sql, arguments: StatementArguments(arguments + [limit.databaseValue, offset.databaseValue]))
      var total = 0
      for count in counts {
        total += try Int.fetchOne(db, sql: count.sql, arguments: StatementArguments(count.arguments)) ?? 0
      }
      return HistoryPage(entries: entries, total: total)
    }
  }
}
