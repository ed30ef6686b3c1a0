import Foundation
import Host
import MCP

/// search_goldfish_logs: Goldfish's own logs searched in place, with no log service to run.
enum LogSearchTools {
  typealias S = JSONSchema

  static var all: [MCPTool] { [searchLogs] }

  static let guide = """
    search_goldfish_logs searches Goldfish's own logs where they are, with no log service:
    - driver: each pipeline run's driver.log (Goldfish's swift-log lines: time, level, logger)
    - run: each stage run's run.log (the stage's own output; levels read from ERROR/WARNING/Traceback)
    - build: each stage run's build.log (its image build)
    - audit: the journal of every mutating operation and why
    - transitions: every state change of every stage run, with its reason
    Filters (all optional, combined with AND): since/until (ISO-8601 time, or a span back from now:
    30s, 15m, 2h, 7d), level (at least: trace, debug, info, notice, warning, error, critical), run_id
    (a stage-… run, or a prun-… run with all its stages), stage, workspace, text (substring, any case),
    regex (ICU), sources. limit (1-1000, default 100) entries, order newest (default) or oldest.
    A line without its own time carries the time of the line before it (time_inferred: true).
    Example: {"since": "1h", "level": "error"} or {"run_id": "stage-…", "regex": "loss=[0-9.]+"}.
    """

  static let searchLogs = MCPTool(
    name: "search_goldfish_logs",
    description:
      "Search Goldfish's own logs (driver logs, stage output and build logs in the run folders, the audit journal, "
      + "stage state transitions) by time, level, run, stage, workspace, text or regex; newest first, bounded. "
      + "No external log service (upstream's LogsQL/VictoriaLogs is not used); show_guide explains the filters.",
    parameters: [
      .string("since", "Only entries at or after this: an ISO-8601 time or a span back from now (30s, 15m, 2h, 7d)."),
      .string("until", "Only entries at or before this (same forms as since)."),
      .string("level", "At least this level.", choices: LogEntryLevel.allCases.map(\.rawValue)),
      .string("run_id", "A stage run (stage-…) or a pipeline run (prun-…, with its stage runs)."),
      .string("stage", "Only this stage's runs."),
      .string("workspace", "Only this workspace's runs and journal."),
      .string("text", "A substring the message holds (any case)."),
      .string("regex", "A regular expression (ICU) the message matches."),
      .strings("sources", "Which logs: driver, run, build, audit, transitions (default all)."),
      .integer("limit", "How many entries at most (default 100).", minimum: 1, maximum: LogSearchQuery.maximumLimit),
      .string("order", "newest (default) or oldest first.", choices: LogSearchQuery.Order.allCases.map(\.rawValue)),
      .boolean("show_guide", "Return the guide to the filters instead of searching."),
      .string("query", "Upstream's LogsQL query: refused, with what to use instead."),
    ],
    output: [
      "entries": S.array(S.anyObject), "matched": S.integer, "truncated": S.boolean, "order": S.string,
      "files_scanned": S.integer, "bytes_scanned": S.integer, "rows_scanned": S.integer, "files_cut": S.strings,
      "guide": S.string,
    ],
    annotations: .init(readOnlyHint: true)
  ) { call in
    if call.bool("show_guide") == true { return ToolOutput(["guide": .string(guide)], text: guide) }
    if call.string("query") != nil {
      throw GoldfishError(
        .invalidArgument,
        "query (LogsQL) is not supported: Goldfish searches its own log files and journal in place, with no VictoriaLogs",
        hint: "use since, level, run_id, stage, workspace, text or regex (show_guide: true explains them)")
    }
    var query = LogSearchQuery()
    query.since = try call.string("since").map { text throws(GoldfishError) in
      try LogSearchQuery.time(text, name: "since")
    }
    query.until = try call.string("until").map { text throws(GoldfishError) in
      try LogSearchQuery.time(text, name: "until")
    }
    query.minimumLevel = try call.string("level").map { text throws(GoldfishError) in try LogEntryLevel.parse(text) }
    query.runID = call.string("run_id")
    query.stage = call.string("stage")
    query.text = call.string("text")
    query.pattern = call.string("regex")
    if let names = call.strings("sources") {
      query.sources = try Set(
        names.map { name throws(GoldfishError) in
          guard let source = LogSearchQuery.Source(rawValue: name) else {
            throw GoldfishError(
              .invalidArgument, "source \"\(name)\" is not a log source",
              hint: "one of: " + LogSearchQuery.Source.allCases.map(\.rawValue).joined(separator: ", "))
          }
          return source
        })
    }
    query.limit = call.int("limit") ?? LogSearchQuery.defaultLimit
    query.order = call.string("order").flatMap(LogSearchQuery.Order.init(rawValue:)) ?? .newest
    let workspaceArgument = call.string("workspace")
    let filters = query
    let result = try await call.withProject { project in
      var query = filters
      query.workspace = try workspaceArgument.map { name throws(GoldfishError) in
        try WorkspaceTools.resolveWorkspace(project, name)
      }
      return try LogSearch(project: project).run(query)
    }
    return try ToolOutput(
      encoding: result,
      text: "\(result.entries.count) of \(result.matched) entries"
        + (result.truncated ? " (more: narrow the filters or raise limit)" : ""))
  }
}
