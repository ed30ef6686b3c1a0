import ArgumentParser
import Host

struct TagCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "tag", abstract: "Tag a run or checkpoint record (tags are unique per workspace).")
  @OptionGroup var projectOptions: ProjectOptions
  @Argument(help: "A stage run id (stage-…), a record id (ULID) or @tag (with --workspace).") var ref: String
  @Argument(help: "The tag: \(TagName.rule).") var tag: String
  @Option(help: "The workspace, when the record is given as @tag.") var workspace: String?
  @Flag(help: "Print JSON for machines.") var json = false

  func run() throws {
    let outcome = try projectOptions.openProject().records.tag(ref, tag, workspace: workspace)
    if json { return try Console.json(outcome) }
    Console.print("Tagged \(outcome.recordType) \(outcome.recordID ?? "") of \(outcome.workspaceName) \(outcome.tag)")
  }
}

struct UntagCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "untag", abstract: "Remove a tag of a workspace, whatever it names (run, checkpoint or version).")
  @OptionGroup var projectOptions: ProjectOptions
  @Argument(help: "The workspace.") var workspace: String
  @Argument(help: "The tag.") var tag: String

  func run() throws {
    let removed = try projectOptions.openProject().records.untag(workspace: workspace, tag)
    Console.print("Removed tag \(removed.tag) of \(workspace)")
  }
}
