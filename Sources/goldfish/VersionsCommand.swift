import ArgumentParser
import Host

struct VersionsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "versions", abstract: "List, tag, prune and unprune a workspace's versions (manage_versions).",
    subcommands: [VersionsList.self, VersionsTag.self, VersionsUntag.self, VersionsPrune.self, VersionsUnprune.self])
}

struct VersionsList: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "list", abstract: "A workspace's versions, newest first.")
  @OptionGroup var projectOptions: ProjectOptions
  @Argument(help: "The workspace.") var workspace: String
  @Flag(help: "Also pruned versions.") var includePruned = false
  @Option(help: "How many (default 50).") var limit = 50
  @Option(help: "How many of the newest to skip.") var offset = 0
  @Flag(help: "Print JSON for machines.") var json = false

  func run() throws {
    guard (1...500).contains(limit), offset >= 0 else {
      throw GoldfishError(.invalidArgument, "--limit must be 1…500 and --offset ≥ 0")
    }
    let listing = try projectOptions.openProject().records.versions(
      workspace: workspace, includePruned: includePruned, limit: limit, offset: offset)
    if json { return try Console.json(listing) }
    for entry in listing.versions {
      let pruned = entry.prunedAt.map { "  pruned \($0): \(entry.pruneReason ?? "")" } ?? ""
      let tags = entry.tags.isEmpty ? "" : "  @" + entry.tags.joined(separator: " @")
      Console.print("\(entry.version.label)  \(entry.version.createdBy)  \(entry.version.message)\(tags)\(pruned)")
    }
  }
}

struct VersionsTag: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "tag", abstract: "Tag a version.")
  @OptionGroup var projectOptions: ProjectOptions
  @Argument(help: "The workspace.") var workspace: String
  @Argument(help: "The version (v3).") var version: String
  @Argument(help: "The tag: \(TagName.rule).") var tag: String

  func run() throws {
    let outcome = try projectOptions.openProject().records.tagVersion(
      workspace: workspace, version: try VersionLabel.parse(version, allowBareNumber: true), tag: tag)
    Console.print("Tagged \(outcome.version ?? version) of \(workspace) \(outcome.tag)")
  }
}

struct VersionsUntag: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "untag", abstract: "Remove a tag of a workspace.")
  @OptionGroup var projectOptions: ProjectOptions
  @Argument(help: "The workspace.") var workspace: String
  @Argument(help: "The tag.") var tag: String

  func run() throws {
    let removed = try projectOptions.openProject().records.untag(workspace: workspace, tag)
    Console.print("Removed tag \(removed.tag) of \(workspace)")
  }
}

struct VersionsPrune: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "prune",
    abstract: "Hide versions from listings (kept in git): one, a range, or every version before a tag.")
  @OptionGroup var projectOptions: ProjectOptions
  @Argument(help: "The workspace.") var workspace: String
  @Argument(help: "The version (v3).") var version: String?
  @Option(help: "First version of a range.") var from: String?
  @Option(help: "Last version of a range (inclusive).") var to: String?
  @Option(help: "Prune every version before the one with this tag.") var beforeTag: String?
  @Option(help: "Why.") var reason: String
  @Flag(help: "Print JSON for machines.") var json = false

  func run() throws {
    let records = try projectOptions.openProject().records
    let outcome =
      if let beforeTag {
        try records.pruneBeforeTag(workspace: workspace, tag: beforeTag, reason: reason)
      } else {
        try records.prune(
          workspace: workspace, try VersionSelection.parse(version: version, from: from, to: to, action: "prune"),
          reason: reason)
      }
    try VersionsOutput.print(outcome, verb: "Pruned", json: json)
  }
}

struct VersionsUnprune: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "unprune", abstract: "Bring pruned versions back.")
  @OptionGroup var projectOptions: ProjectOptions
  @Argument(help: "The workspace.") var workspace: String
  @Argument(help: "The version (v3).") var version: String?
  @Option(help: "First version of a range.") var from: String?
  @Option(help: "Last version of a range (inclusive).") var to: String?
  @Flag(help: "Print JSON for machines.") var json = false

  func run() throws {
    let outcome = try projectOptions.openProject().records.unprune(
      workspace: workspace, try VersionSelection.parse(version: version, from: from, to: to, action: "unprune"))
    try VersionsOutput.print(outcome, verb: "Unpruned", json: json)
  }
}

enum VersionsOutput {
  static func print(_ outcome: PruneOutcome, verb: String, json: Bool) throws {
    if json { return try Console.json(outcome) }
    Console.print("\(verb): \(outcome.changed.isEmpty ? "nothing" : outcome.changed.joined(separator: ", "))")
    if !outcome.unchanged.isEmpty { Console.print("Already so: \(outcome.unchanged.joined(separator: ", "))") }
    for kept in outcome.kept { Console.print("Kept \(kept.version): \(kept.why)") }
  }
}
