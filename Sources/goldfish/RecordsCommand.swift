import ArgumentParser
import Foundation
import Host

struct RecordsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "records", abstract: "A workspace's experiment records: runs and checkpoints with their results.",
    subcommands: [RecordsList.self, RecordsShow.self, RecordsUnfinalized.self])
}

struct RecordsList: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "list", abstract: "List a workspace's records, newest first or by metric (list_history).")
  @OptionGroup var projectOptions: ProjectOptions
  @Argument(help: "The workspace.") var workspace: String
  @Option(help: "Only run or only checkpoint records.") var type: String?
  @Option(help: "Only runs of this stage.") var stage: String?
  @Flag(help: "Only tagged records.") var tagged = false
  @Option(help: "Only the record with this tag.") var tag: String?
  @Option(help: "Only records whose primary metric has this name.") var metric: String?
  @Option(help: "Only records whose primary value is at least this.") var minValue: Double?
  @Option(help: "Only runs of this experiment group.") var experimentGroup: String?
  @Option(help: "created (default) or metric.") var sortBy = "created"
  @Flag(help: "Oldest (or lowest) first.") var ascending = false
  @Flag(help: "Also checkpoints of pruned versions.") var includePruned = false
  @Flag(help: "Only runs whose result was finalized.") var finalizedOnly = false
  @Option(help: "How many (default 20).") var limit = 20
  @Option(help: "How many to skip.") var offset = 0
  @Flag(help: "Print JSON for machines.") var json = false

  func run() throws {
    guard let order = HistoryQuery.Order(rawValue: sortBy) else {
      throw GoldfishError(.invalidArgument, "--sort-by must be created or metric, not \(sortBy)")
    }
    var kind: HistoryEntry.Kind?
    if let type {
      guard let parsed = HistoryEntry.Kind(rawValue: type) else {
        throw GoldfishError(.invalidArgument, "--type must be run or checkpoint, not \(type)")
      }
      kind = parsed
    }
    guard (1...200).contains(limit), offset >= 0 else {
      throw GoldfishError(.invalidArgument, "--limit must be 1…200 and --offset ≥ 0")
    }
    let query = HistoryQuery(
      workspace: workspace, kind: kind, stage: stage, tagged: tag.map { .named($0) } ?? (tagged ? .any(true) : nil),
      metric: metric, minValue: minValue, experimentGroup: experimentGroup, order: order, newestFirst: !ascending,
      includePruned: includePruned, finalizedOnly: finalizedOnly, limit: limit, offset: offset)
    let listing = try projectOptions.openProject().records.history(query)
    if json { return try Console.json(listing) }
    if listing.records.isEmpty { Console.print("No records.") }
    for view in listing.records {
      let entry = view.entry
      let metric = entry.primaryMetric.flatMap { name in entry.primaryValue.map { "\(name)=\($0)" } } ?? "-"
      let what = entry.stageRunID.map { "\($0) \(entry.stage ?? "")" } ?? "checkpoint"
      let tags = entry.tags.isEmpty ? "" : "  @" + entry.tags.joined(separator: " @")
      Console.print(
        "\(entry.recordID)  v\(entry.version ?? 0)  \(what)  \(entry.resultsStatus?.rawValue ?? "-")  \(metric)\(tags)")
    }
    if listing.hasMore {
      Console.print("… \(listing.total) in all; --offset \(offset + listing.records.count) for more")
    }
  }
}

struct RecordsShow: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "show", abstract: "Show one record with its results, comparison and tags (JSON).")
  @OptionGroup var projectOptions: ProjectOptions
  @Argument(help: "A record id (ULID), stage run id (stage-…) or @tag (with --workspace).") var ref: String
  @Option(help: "The workspace (for @tag).") var workspace: String?
  @Option(help: "What to show: results, comparison, tags (repeatable; default results and tags).")
  var include: [String] = []

  func run() throws {
    let detail = try projectOptions.openProject().records.inspect(
      ref, include: include.isEmpty ? nil : include, workspace: workspace)
    try Console.json(detail)
  }
}

struct RecordsUnfinalized: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "unfinalized", abstract: "Runs of a workspace that ended and wait for `goldfish finalize`.")
  @OptionGroup var projectOptions: ProjectOptions
  @Argument(help: "The workspace.") var workspace: String
  @Flag(help: "Print JSON for machines.") var json = false

  func run() throws {
    let runs = try projectOptions.openProject().records.unfinalized(workspace: workspace)
    if json { return try Console.json(runs) }
    if runs.isEmpty { Console.print("Nothing to finalize in \(workspace).") }
    for run in runs {
      Console.print(
        "\(run.results.stageRunID)  \(run.results.stage)  \(run.state?.rawValue ?? "?")  \(run.results.infraOutcome?.rawValue ?? "-")  \(run.createdAt ?? "")"
      )
    }
  }
}
