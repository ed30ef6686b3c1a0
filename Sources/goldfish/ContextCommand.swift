import ArgumentParser
import Foundation
import Host

/// `goldfish workspace context NAME`: where a workspace's experiments stand (MCP:
/// get_experiment_context).
struct WorkspaceContext: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "context",
    abstract: "Where a workspace's experiments stand: best result, runs awaiting finalization, trend, regressions.")
  @OptionGroup var projectOptions: ProjectOptions
  @Argument(help: "The workspace.") var name: String
  @Flag(help: "Print JSON for machines (the get_experiment_context answer).") var json = false

  func run() throws {
    let project = try projectOptions.openProject()
    guard try project.store.workspace(name) != nil else {
      let known = try project.store.workspaces().map(\.name)
      throw GoldfishError(
        .notFound, "no workspace \(name)",
        hint: known.isEmpty ? "there are no workspaces yet" : "workspaces: \(known.joined(separator: ", "))")
    }
    let context = try ExperimentContext.load(project.store, workspace: name)
    if json { return try Console.json(context.json) }
    Console.print("Experiments of \(name):")
    context.summaryLines.forEach { Console.print("  \($0)") }
  }
}
