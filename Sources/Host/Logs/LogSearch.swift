import Foundation
import GRDB
import PluginKit

/// One entry found by a log search.
public struct LogEntry: Codable, Sendable, Equatable {
  /// RFC 3339 UTC. A file line without its own time carries the time of the line before it
  /// (or the run's start for the first lines); `time_inferred` says so.
  public var time: String
  public var timeInferred: Bool
  public var level: LogEntryLevel
  public var source: LogSearchQuery.Source
  public var runID: String?
  public var pipelineRunID: String?
  public var workspace: String?
  public var stage: String?
  /// swift-log's label (`goldfish.runs`), the audit operation, or the transition event.
  public var logger: String?
  public var message: String
  /// `path:line` for a file, `audit#id` or `transition#id` for a row.
  public var location: String

  enum CodingKeys: String, CodingKey {
    case time, level, source, workspace, stage, logger, message, location
    case timeInferred = "time_inferred"
    case runID = "run_id"
    case pipelineRunID = "pipeline_run_id"
  }
}

/// What a log search found: the page of entries and how much was looked at.
public struct LogSearchResult: Codable, Sendable {
  public var entries: [LogEntry]
  /// Every entry that matched, of which `entries` is the first `limit` in the order asked.
  public var matched: Int
  public var truncated: Bool
  public var order: String
  public var filesScanned: Int
  public var bytesScanned: Int
  public var rowsScanned: Int
  /// Files larger than the per-file cap, of which only the end was read.
  public var filesCut: [String]

  enum CodingKeys: String, CodingKey {
    case entries, matched, truncated, order
    case filesScanned = "files_scanned"
    case bytesScanned = "bytes_scanned"
    case rowsScanned = "rows_scanned"
    case filesCut = "files_cut"
  }
}

/// Searches Goldfish's own logs with no external service: the log files in the run folders and
/// the journal tables, filtered and ordered here.
public struct LogSearch {
  /// Only the last this many bytes of one file are read, so one huge stage output cannot make a
  /// search slow or large.
  public static let fileByteCap = 8 << 20
  /// Rows read from each table at most.
  public static let rowCap = 50_000

  let project: Project

  public init(project: Project) {
    self.project = project
  }

  struct Run {
    var id: String
    var pipelineRunID: String?
    var workspace: String
    var stage: String?
    var createdAt: String
    var workDir: String?
  }

  private struct Found {
    var date: Date
    var sequence: Int
    var entry: LogEntry
  }

  public func run(_ query: LogSearchQuery) throws(GoldfishError) -> LogSearchResult {
    let query = try query.validated()
    let regex = try query.pattern.map { pattern throws(GoldfishError) in
      do { return try NSRegularExpression(pattern: pattern) } catch {
        throw GoldfishError(.invalidArgument, "regex \"\(pattern)\" is not a valid regular expression")
      }
    }
    var found: [Found] = []
    var stats = (files: 0, bytes: 0, rows: 0, cut: [String]())

    func keep(_ entry: LogEntry, date: Date) {
      if let since = query.since, date < since { return }
      if let until = query.until, date > until { return }
      if let minimum = query.minimumLevel, entry.level < minimum { return }
      if let text = query.text, entry.message.range(of: text, options: .caseInsensitive) == nil { return }
      if let regex {
        let range = NSRange(entry.message.startIndex..., in: entry.message)
        if regex.firstMatch(in: entry.message, range: range) == nil { return }
      }
      found.append(Found(date: date, sequence: found.count, entry: entry))
    }

    let (stageRuns, pipelineRuns) = try runs(in: query)
    for run in stageRuns {
      guard let workDir = run.workDir, isInsideProject(workDir) else { continue }
      if query.sources.contains(.run) {
        scanFile(RunLayout.runLog(workDir: workDir), source: .run, run: run, query: query, stats: &stats, keep: keep)
      }
      if query.sources.contains(.build) {
        scanFile(workDir + "/build.log", source: .build, run: run, query: query, stats: &stats, keep: keep)
      }
    }
    if query.sources.contains(.driver), query.stage == nil {
      for run in pipelineRuns {
        let path = project.paths.runLayout.driverLog(pipelineRun: run.id)
        scanFile(path, source: .driver, run: run, query: query, stats: &stats, keep: keep)
      }
    }
    if query.sources.contains(.transitions) {
      for (entry, date) in try transitions(query) {
        stats.rows += 1
        keep(entry, date: date)
      }
    }
    if query.sources.contains(.audit), query.stage == nil {
      for (entry, date) in try auditRows(query) {
        stats.rows += 1
        keep(entry, date: date)
      }
    }

    found.sort { ($0.date, $0.sequence) < ($1.date, $1.sequence) }
    if query.order == .newest { found.reverse() }
    return LogSearchResult(
      entries: found.prefix(query.limit).map(\.entry), matched: found.count, truncated: found.count > query.limit,
      order: query.order.rawValue, filesScanned: stats.files, bytesScanned: stats.bytes, rowsScanned: stats.rows,
      filesCut: stats.cut)
  }

  /// A work folder recorded in the database is read only inside the project's own folder.
  private func isInsideProject(_ path: String) -> Bool {
    let root = URL(fileURLWithPath: project.paths.devDir).standardizedFileURL.path
    let candidate = URL(fileURLWithPath: path).standardizedFileURL.path
    return candidate.hasPrefix(root + "/")
  }

  private func scanFile(
    _ path: String, source: LogSearchQuery.Source, run: Run, query: LogSearchQuery,
    stats: inout (files: Int, bytes: Int, rows: Int, cut: [String]), keep: (LogEntry, Date) -> Void
  ) {
    guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
      let handle = FileHandle(forReadingAtPath: path)
    else { return }
    defer { try? handle.close() }
    // A file last written before `since` holds nothing newer.
    if let since = query.since, let modified = attributes[.modificationDate] as? Date, modified < since { return }
    let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
    var skippedFirstLine = false
    if size > Self.fileByteCap {
      try? handle.seek(toOffset: UInt64(size - Self.fileByteCap))
      stats.cut.append(path)
      skippedFirstLine = true
    }
    guard let data = try? handle.readToEnd() else { return }
    stats.files += 1
    stats.bytes += data.count
    let text = String(decoding: data, as: UTF8.self)
    var lines = text.split(separator: "\n", omittingEmptySubsequences: true)
    // After a seek the first line is most likely a part of one.
    if skippedFirstLine, !lines.isEmpty { lines.removeFirst() }
    var current = LogLine.parseTimestamp(run.createdAt) ?? Date(timeIntervalSince1970: 0)
    for (index, raw) in lines.enumerated() {
      let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
      let parsed = LogLine.parse(line)
      if let time = parsed.time { current = time }
      let entry = LogEntry(
        time: Timestamp.format(current), timeInferred: parsed.time == nil, level: parsed.level ?? .info,
        source: source, runID: run.id, pipelineRunID: run.pipelineRunID, workspace: run.workspace, stage: run.stage,
        logger: parsed.logger, message: parsed.message, location: "\(path):\(skippedFirstLine ? index + 2 : index + 1)")
      keep(entry, current)
    }
  }

  /// The stage runs and pipeline runs whose files the query covers.
  func runs(in query: LogSearchQuery) throws(GoldfishError) -> (stage: [Run], pipeline: [Run]) {
    try project.store.read { db in
      var conditions: [String] = []
      var arguments: [DatabaseValueConvertible?] = []
      if let workspace = query.workspace {
        conditions.append("workspace = ?")
        arguments.append(workspace)
      }
      var stageConditions = conditions
      var stageArguments = arguments
      if let stage = query.stage {
        stageConditions.append("stage = ?")
        stageArguments.append(stage)
      }
      if let runID = query.runID {
        stageConditions.append("(id = ? OR pipeline_run_id = ?)")
        stageArguments += [runID, runID]
      }
      let stageWhere = stageConditions.isEmpty ? "" : " WHERE " + stageConditions.joined(separator: " AND ")
      let stageRows = try Row.fetchAll(
        db,
        sql: "SELECT id, pipeline_run_id, workspace, stage, created_at, work_dir FROM stage_runs\(stageWhere)"
          + " ORDER BY created_at DESC LIMIT \(Self.rowCap)",
        arguments: StatementArguments(stageArguments) ?? [])
      let stageRuns = stageRows.map {
        Run(
          id: $0["id"], pipelineRunID: $0["pipeline_run_id"], workspace: $0["workspace"], stage: $0["stage"],
          createdAt: $0["created_at"], workDir: $0["work_dir"])
      }
      var pipelineConditions = conditions
      var pipelineArguments = arguments
      if let runID = query.runID {
        // A stage run's own driver is its pipeline run's.
        pipelineConditions.append("(id = ? OR id IN (SELECT pipeline_run_id FROM stage_runs WHERE id = ?))")
        pipelineArguments += [runID, runID]
      }
      let pipelineWhere =
        pipelineConditions.isEmpty ? "" : " WHERE " + pipelineConditions.joined(separator: " AND ")
      let pipelineRows = try Row.fetchAll(
        db,
        sql: "SELECT id, workspace, created_at FROM pipeline_runs\(pipelineWhere)"
          + " ORDER BY created_at DESC LIMIT \(Self.rowCap)",
        arguments: StatementArguments(pipelineArguments) ?? [])
      let pipelineRuns = pipelineRows.map {
        Run(id: $0["id"], pipelineRunID: $0["id"], workspace: $0["workspace"], stage: nil, createdAt: $0["created_at"])
      }
      return (stageRuns, pipelineRuns)
    }
  }

  private func transitions(_ query: LogSearchQuery) throws(GoldfishError) -> [(LogEntry, Date)] {
    try project.store.read { db in
      var conditions: [String] = []
      var arguments: [DatabaseValueConvertible?] = []
      if let workspace = query.workspace {
        conditions.append("r.workspace = ?")
        arguments.append(workspace)
      }
      if let stage = query.stage {
        conditions.append("r.stage = ?")
        arguments.append(stage)
      }
      if let runID = query.runID {
        conditions.append("(r.id = ? OR r.pipeline_run_id = ?)")
        arguments += [runID, runID]
      }
      if let since = query.since {
        conditions.append("t.created_at >= ?")
        arguments.append(Timestamp.format(since))
      }
      let whereClause = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
      let rows = try Row.fetchAll(
        db,
        sql: """
          SELECT t.id, t.from_state, t.to_state, t.event, t.reason, t.source, t.created_at,
                 r.id AS run_id, r.pipeline_run_id, r.workspace, r.stage
          FROM stage_state_transitions t JOIN stage_runs r ON r.id = t.stage_run_id\(whereClause)
          ORDER BY t.id DESC LIMIT \(Self.rowCap)
          """,
        arguments: StatementArguments(arguments) ?? [])
      return rows.compactMap { row -> (LogEntry, Date)? in
        let createdAt: String = row["created_at"]
        guard let date = LogLine.parseTimestamp(createdAt) else { return nil }
        let to: String = row["to_state"]
        let from: String = row["from_state"]
        let reason: String? = row["reason"]
        let source: String = row["source"]
        let id: Int64 = row["id"]
        let level: LogEntryLevel =
          switch to {
          case StageRunState.failed.rawValue, StageRunState.terminated.rawValue: .error
          case StageRunState.canceled.rawValue, StageRunState.unknown.rawValue: .warning
          default: .info
          }
        let entry = LogEntry(
          time: createdAt, timeInferred: false, level: level, source: .transitions, runID: row["run_id"],
          pipelineRunID: row["pipeline_run_id"], workspace: row["workspace"], stage: row["stage"],
          logger: row["event"], message: "\(from) → \(to) by \(source)" + (reason.map { ": \($0)" } ?? ""),
          location: "transition#\(id)")
        return (entry, date)
      }
    }
  }

  private func auditRows(_ query: LogSearchQuery) throws(GoldfishError) -> [(LogEntry, Date)] {
    try project.store.read { db in
      var conditions: [String] = []
      var arguments: [DatabaseValueConvertible?] = []
      if let workspace = query.workspace {
        conditions.append("workspace = ?")
        arguments.append(workspace)
      }
      if let runID = query.runID {
        // Audit details name runs in their JSON; run ids hold no LIKE wildcards (validated).
        conditions.append("details LIKE ?")
        arguments.append("%\"\(runID)\"%")
      }
      if let since = query.since {
        conditions.append("timestamp >= ?")
        arguments.append(Timestamp.format(since))
      }
      let whereClause = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
      let records = try AuditRecord.fetchAll(
        db, sql: "SELECT * FROM audit\(whereClause) ORDER BY id DESC LIMIT \(Self.rowCap)",
        arguments: StatementArguments(arguments) ?? [])
      return records.compactMap { record -> (LogEntry, Date)? in
        guard let date = LogLine.parseTimestamp(record.timestamp) else { return nil }
        let entry = LogEntry(
          time: record.timestamp, timeInferred: false, level: .info, source: .audit, runID: nil,
          pipelineRunID: nil, workspace: record.workspace, stage: nil, logger: record.operation,
          message: record.reason + (record.details.map { " \($0)" } ?? ""), location: "audit#\(record.id)")
        return (entry, date)
      }
    }
  }
}
