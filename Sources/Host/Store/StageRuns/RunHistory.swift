import GRDB
import PluginKit

/// One entry of a workspace's history: the experiment record of a stage run, or of a version
/// saved by anything but a run (save_version, an auto-save before a rollback, hibernate): a
/// checkpoint.
public struct HistoryEntry: Sendable, Equatable, FetchableRecord {
  public typealias Kind = ExperimentRecord.Kind

  public var kind: Kind
  /// The record's ULID.
  public var recordID: String
  public var stageRunID: String?
  public var pipelineRunID: String?
  public var version: Int?
  public var createdAt: String
  public var stage: String?
  /// The run's reason, or the checkpoint's message.
  public var reason: String
  /// The run's state; nil for checkpoints.
  public var state: String?
  public var resultsStatus: ResultsStatus?
  public var mlOutcome: MLOutcome?
  public var infraOutcome: InfraOutcome?
  /// The final result's metric and value, else the auto one's.
  public var primaryMetric: String?
  public var primaryValue: Double?
  public var experimentGroup: String?
  public var versionTag: String?
  public var tags: [String] = []

  public init(row: Row) throws {
    kind = Kind(rawValue: row["kind"]) ?? .run
    recordID = row["record_id"]
    stageRunID = row["stage_run_id"]
    pipelineRunID = row["pipeline_run_id"]
    version = row["version"]
    createdAt = row["created_at"]
    stage = row["stage"]
    reason = row["reason"] ?? ""
    state = row["state"]
    resultsStatus = (row["results_status"] as String?).flatMap(ResultsStatus.init(rawValue:))
    mlOutcome = (row["ml_outcome"] as String?).flatMap(MLOutcome.init(rawValue:))
    infraOutcome = (row["infra_outcome"] as String?).flatMap(InfraOutcome.init(rawValue:))
    primaryMetric = row["primary_metric"]
    primaryValue = row["primary_value"]
    experimentGroup = row["experiment_group"]
    versionTag = row["version_tag"]
  }

  var record: ExperimentRecord {
    ExperimentRecord(
      id: recordID, workspace: "", kind: kind, stageRunID: stageRunID, stage: stage, version: version,
      experimentGroup: experimentGroup, createdAt: createdAt)
  }
}

/// What to list of a workspace's history (upstream's list_history filters).
public struct HistoryQuery: Sendable, Equatable {
  public enum Tagged: Sendable, Equatable {
    /// Records with any tag, or with none.
    case any(Bool)
    case named(String)
  }

  public enum Order: String, Sendable, CaseIterable { case created, metric }

  public var workspace: String
  public var kind: HistoryEntry.Kind?
  public var stage: String?
  public var tagged: Tagged?
  /// Only records whose primary metric has this name.
  public var metric: String?
  /// Only records whose primary value is at least this.
  public var minValue: Double?
  public var experimentGroup: String?
  /// `metric` lists only records that have a value (final, else auto), by value.
  public var order: Order
  public var newestFirst: Bool
  /// Checkpoints of pruned versions are left out unless this is set.
  public var includePruned: Bool
  public var finalizedOnly: Bool
  public var limit: Int
  public var offset: Int

  public init(
    workspace: String, kind: HistoryEntry.Kind? = nil, stage: String? = nil, tagged: Tagged? = nil,
    metric: String? = nil, minValue: Double? = nil, experimentGroup: String? = nil, order: Order = .created,
    newestFirst: Bool = true, includePruned: Bool = false, finalizedOnly: Bool = false, limit: Int = 20,
    offset: Int = 0
  ) {
    self.workspace = workspace
    self.kind = kind
    self.stage = stage
    self.tagged = tagged
    self.metric = metric
    self.minValue = minValue
    self.experimentGroup = experimentGroup
    self.order = order
    self.newestFirst = newestFirst
    self.includePruned = includePruned
    self.finalizedOnly = finalizedOnly
    self.limit = limit
    self.offset = offset
  }

  /// Whether the results of runs take part: then the page is read from run_results' indexes.
  var needsResults: Bool { order == .metric || finalizedOnly || metric != nil || minValue != nil }
  /// Whether the total can come from the kept counters instead of a count.
  var countsFromCounters: Bool { !needsResults && tagged == nil && experimentGroup == nil }
}

/// A page of history and how much there is in all.
public struct HistoryPage: Sendable {
  public var entries: [HistoryEntry]
  public var total: Int
}

extension ProjectStore {
  /// A workspace's runs and checkpoints, newest first (or oldest first), one page at a time.
  public func history(
    workspace: String, kind: HistoryEntry.Kind? = nil, stage: String? = nil, newestFirst: Bool = true,
    limit: Int, offset: Int
  ) throws(GoldfishError) -> HistoryPage {
    try history(
      HistoryQuery(
        workspace: workspace, kind: kind, stage: stage, newestFirst: newestFirst, includePruned: true, limit: limit,
        offset: offset))
  }

  /// A page of a workspace's records. Every page is read along an index in the order asked for
  /// (records by (workspace, id) or (workspace, stage, id); results by (workspace, value) or
  /// the finalized ones by (workspace, record_id)) and stops at the page's end, and the
  /// unfiltered total is read from stage_run_counts, so a page costs the same with a thousand
  /// runs or a million. Only filtered totals count their matches.
  public func history(_ query: HistoryQuery) throws(GoldfishError) -> HistoryPage {
    let statement = Self.historyStatement(query)
    return try read { db in
      var entries = try HistoryEntry.fetchAll(
        db, sql: statement.page,
        arguments: StatementArguments(
          statement.pageArguments + [query.limit.databaseValue, query.offset.databaseValue]))
      let tags = try RecordBook.tags(
        db,
        of: entries.map {
          var record = $0.record
          record.workspace = query.workspace
          return record
        })
      for index in entries.indices { entries[index].tags = tags[entries[index].recordID] ?? [] }
      let total =
        query.countsFromCounters
        ? try Self.countedTotal(db, query)
        : try Int.fetchOne(db, sql: statement.count, arguments: StatementArguments(statement.countArguments)) ?? 0
      return HistoryPage(entries: entries, total: total)
    }
  }

  /// One WHERE term of a history query, with the table it reads besides `r` / `e`'s own.
  private struct Term {
    var sql: String
    var arguments: [DatabaseValue] = []
    /// Reads experiment_records (e), which a results-driven count can otherwise leave out.
    var readsRecord = false
  }

  /// The page query (its last two arguments are LIMIT and OFFSET) and the count query of
  /// `query`. The count joins only what its terms read: counting a hundred thousand finalized
  /// runs through the page's joins would cost a second, through one index a few milliseconds.
  static func historyStatement(
    _ query: HistoryQuery
  ) -> (
    page: String, pageArguments: [DatabaseValue], count: String, countArguments: [DatabaseValue]
  ) {
    let results = query.needsResults
    var terms = [Term(sql: results ? "r.workspace = ?" : "e.workspace = ?", arguments: [query.workspace.databaseValue])]
    if let kind = query.kind {
      terms.append(Term(sql: "e.kind = ?", arguments: [kind.rawValue.databaseValue], readsRecord: true))
    }
    if let stage = query.stage {
      terms.append(Term(sql: results ? "r.stage = ?" : "e.stage = ?", arguments: [stage.databaseValue]))
    }
    if let group = query.experimentGroup {
      terms.append(Term(sql: "e.experiment_group = ?", arguments: [group.databaseValue], readsRecord: true))
    }
    if query.finalizedOnly { terms.append(Term(sql: "r.results_status = 'finalized'")) }
    if let metric = query.metric { terms.append(Term(sql: "r.primary_metric = ?", arguments: [metric.databaseValue])) }
    if let minimum = query.minValue {
      terms.append(Term(sql: "r.primary_value >= ?", arguments: [minimum.databaseValue]))
    }
    if query.order == .metric { terms.append(Term(sql: "r.primary_value IS NOT NULL")) }
    if let tagged = query.tagged {
      let holds =
        "EXISTS (SELECT 1 FROM record_tags t WHERE t.workspace = e.workspace"
        + " AND (t.record_id = e.id OR (t.record_id IS NULL AND e.kind = 'checkpoint' AND t.version = e.version))"
      switch tagged {
      case .any(let wanted): terms.append(Term(sql: (wanted ? "" : "NOT ") + holds + ")", readsRecord: true))
      case .named(let tag):
        terms.append(Term(sql: holds + " AND t.tag = ?)", arguments: [tag.databaseValue], readsRecord: true))
      }
    }
    // Only checkpoints are hidden when pruned, and checkpoints have no results.
    let hidesPruned = !query.includePruned && !results
    let pruned = "NOT (e.kind = 'checkpoint' AND v.pruned_at IS NOT NULL)"
    let pageWhere = terms.map(\.sql) + (hidesPruned ? [pruned] : [])
    let pageArguments = terms.flatMap(\.arguments)
    let idColumn = results ? "r.record_id" : "e.id"
    let direction = query.newestFirst ? "DESC" : "ASC"
    let order =
      query.order == .metric
      ? "r.primary_value \(direction), \(idColumn) \(direction)" : "\(idColumn) \(direction)"
    let page = """
      SELECT e.kind, e.id AS record_id, e.stage_run_id, s.pipeline_run_id, e.version, e.created_at, e.stage,
        COALESCE(s.reason, v.message, '') AS reason, s.state, r.results_status, r.ml_outcome, r.infra_outcome,
        r.primary_metric, r.primary_value, e.experiment_group, v.tag AS version_tag
      FROM experiment_records e
      \(results ? "JOIN" : "LEFT JOIN") run_results r ON r.record_id = e.id
      LEFT JOIN stage_runs s ON s.id = e.stage_run_id
      LEFT JOIN workspace_versions v ON v.workspace = e.workspace AND v.version = e.version
      WHERE \(pageWhere.joined(separator: " AND "))
      ORDER BY \(order) LIMIT ? OFFSET ?
      """
    let count: String
    if results {
      let joinsRecord = terms.contains(where: \.readsRecord)
      count =
        "SELECT COUNT(*) FROM run_results r"
        + (joinsRecord ? " JOIN experiment_records e ON e.id = r.record_id" : "")
        + " WHERE " + terms.map(\.sql).joined(separator: " AND ")
    } else {
      count =
        "SELECT COUNT(*) FROM experiment_records e"
        + (hidesPruned ? " LEFT JOIN workspace_versions v ON v.workspace = e.workspace AND v.version = e.version" : "")
        + " WHERE " + pageWhere.joined(separator: " AND ")
    }
    return (page, pageArguments, count, pageArguments)
  }

  /// The total of an unfiltered listing: runs from stage_run_counts (kept by triggers, instead
  /// of counting a million rows one by one), checkpoints (few) counted.
  private static func countedTotal(_ db: Database, _ query: HistoryQuery) throws -> Int {
    var total = 0
    if query.kind != .checkpoint {
      let stageFilter = query.stage == nil ? "" : " AND stage = ?"
      total +=
        try Int.fetchOne(
          db, sql: "SELECT COALESCE(SUM(runs), 0) FROM stage_run_counts WHERE workspace = ?\(stageFilter)",
          arguments: StatementArguments([query.workspace] + (query.stage.map { [$0] } ?? []))) ?? 0
    }
    // A checkpoint has no stage: filtering by stage leaves only runs.
    if query.kind != .run && query.stage == nil {
      let pruned = query.includePruned ? "" : " AND v.pruned_at IS NULL"
      total +=
        try Int.fetchOne(
          db,
          sql: """
            SELECT COUNT(*) FROM experiment_records e
            LEFT JOIN workspace_versions v ON v.workspace = e.workspace AND v.version = e.version
            WHERE e.workspace = ? AND e.kind = 'checkpoint'\(pruned)
            """,
          arguments: [query.workspace]) ?? 0
    }
    return total
  }
}
