import ArgumentParser
import Host

/// `goldfish thoughts WORKSPACE`: get_workspace_thoughts for a person.
struct ThoughtsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "thoughts", abstract: "The notes logged about a workspace (goldfish thought), newest first.")

  @OptionGroup var projectOptions: ProjectOptions
  @Argument(help: "The workspace.") var workspace: String
  @Option(help: "How many (1-500).") var limit = 50
  @Option(help: "How many to skip.") var offset = 0
  @Flag(help: "Print the result as JSON.") var json = false

  func run() throws {
    guard (1...500).contains(limit), offset >= 0 else {
      throw GoldfishError(.invalidArgument, "--limit must be 1-500 and --offset 0 or more")
    }
    let project = try projectOptions.openProject()
    guard try project.store.workspace(workspace) != nil else {
      throw GoldfishError(.notFound, "no workspace \(workspace)", hint: "goldfish workspace list shows them")
    }
    let (page, total) = try project.store.thoughts(workspace: workspace, limit: limit, offset: offset)
    if json { return try Console.json(WorkspaceThoughtsView(workspace: workspace, thoughts: page, total: total)) }
    for thought in page {
      Console.print("\(thought.timestamp)\(thought.runID.map { " (\($0))" } ?? "")  \(thought.text)")
    }
    Console.print("\(page.count) of \(total) thoughts")
  }
}

/// get_workspace_thoughts' shape, for `--json`.
struct WorkspaceThoughtsView: Encodable {
  struct Entry: Encodable {
    var timestamp: String
    var thought: String
    var run_id: String?
  }
  var workspace: String
  var thoughts: [Entry]
  var total: Int

  init(workspace: String, thoughts: [ThoughtRecord], total: Int) {
    self.workspace = workspace
    self.thoughts = thoughts.map { Entry(timestamp: $0.timestamp, thought: $0.text, run_id: $0.runID) }
    self.total = total
  }
}
