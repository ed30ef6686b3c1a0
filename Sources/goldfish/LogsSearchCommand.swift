import ArgumentParser
import Foundation
import Host

/// `goldfish logs RUN` prints a run's output (`logs show`, the default); `goldfish logs search`
/// searches every log.
struct LogsGroup: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "logs",
    abstract: "Print a run's output (goldfish logs RUN), or search every log (goldfish logs search).",
    subcommands: [LogsCommand.self, LogsSearchCommand.self], defaultSubcommand: LogsCommand.self)
}

/// `goldfish logs search`: search_goldfish_logs for a person.
struct LogsSearchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "search",
    abstract: "Search Goldfish's own logs: driver logs, stage output, build logs, the audit journal, state changes.",
    discussion: """
      Every filter is optional. --since/--until take an ISO-8601 time or a span back from now (30s, 15m, 2h, 7d).
      Examples: goldfish logs search --since 1h --level error
                goldfish logs search --run prun-… --regex 'loss=[0-9.]+' --oldest
      """)

  @OptionGroup var projectOptions: ProjectOptions
  @Argument(help: "Text the entry holds (any case).") var text: String?
  @Option(help: "Only entries at or after this time or span.") var since: String?
  @Option(help: "Only entries at or before this time or span.") var until: String?
  @Option(help: "At least this level (trace, debug, info, notice, warning, error, critical).") var level: String?
  @Option(name: .customLong("run"), help: "A stage run (stage-…) or a pipeline run (prun-…).") var runID: String?
  @Option(help: "Only this stage's runs.") var stage: String?
  @Option(help: "Only this workspace's runs and journal.") var workspace: String?
  @Option(help: "A regular expression the message matches.") var regex: String?
  @Option(help: "Which logs, comma separated: driver, run, build, audit, transitions.") var sources: String?
  @Option(help: "How many entries at most (1-1000).") var limit = LogSearchQuery.defaultLimit
  @Flag(help: "Oldest first (default newest first).") var oldest = false
  @Flag(help: "Print the result as JSON.") var json = false

  func run() throws {
    var query = LogSearchQuery()
    query.since = try since.map { try LogSearchQuery.time($0, name: "--since") }
    query.until = try until.map { try LogSearchQuery.time($0, name: "--until") }
    query.minimumLevel = try level.map { try LogEntryLevel.parse($0) }
    query.runID = runID
    query.stage = stage
    query.workspace = workspace
    query.text = text
    query.pattern = regex
    if let sources {
      query.sources = try Set(
        sources.split(separator: ",").map { name in
          guard let source = LogSearchQuery.Source(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
            throw GoldfishError(
              .invalidArgument, "--sources: \"\(name)\" is not a log source",
              hint: "one of: " + LogSearchQuery.Source.allCases.map(\.rawValue).joined(separator: ", "))
          }
          return source
        })
    }
    query.limit = limit
    query.order = oldest ? .oldest : .newest
    let result = try LogSearch(project: try projectOptions.openProject()).run(query)
    if json { return try Console.json(result) }
    for entry in result.entries {
      let scope = [entry.runID ?? entry.workspace, entry.logger].compactMap { $0 }.joined(separator: " ")
      Console.print("\(entry.time) \(entry.level.rawValue) [\(entry.source.rawValue)] \(scope): \(entry.message)")
    }
    Console.print(
      "\(result.entries.count) of \(result.matched) entries"
        + (result.truncated ? " (more: narrow the filters or raise --limit)" : ""))
  }
}
