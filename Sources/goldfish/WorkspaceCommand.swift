import ArgumentParser
import Foundation
import Host

struct WorkspaceCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "workspace", abstract: "Create, mount, checkpoint, roll back, compare and retire workspaces.",
    subcommands: [
      WorkspaceCreate.self, WorkspaceList.self, WorkspaceMount.self, WorkspaceCheckpoint.self,
      WorkspaceRollback.self, WorkspaceHibernate.self, WorkspaceDiffCommand.self, WorkspaceHistory.self,
      WorkspaceDelete.self, WorkspaceContext.self,
    ])
}

struct WorkspaceCreate: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "create", abstract: "Start a workspace from the project's initial files or another workspace.")
  @OptionGroup var projectOptions: ProjectOptions
  @Argument(help: "The workspace name.") var name: String
  @Option(help: "What this line of work tries to achieve.") var goal: String
  @Option(help: "Why you create it (recorded in the journal).") var reason: String
  @Option(help: "Start from WORKSPACE or WORKSPACE@vN (default: the initial files).") var from: String?

  func run() throws {
    let base = try from.map { text throws(GoldfishError) in try WorkspaceReference(parsing: text) }
    let record = try projectOptions.openProject().workspaces.create(name: name, goal: goal, reason: reason, from: base)
    Console.print(
      "Created workspace \(record.name)\(from.map { " from \($0)" } ?? ""). Mount it: goldfish workspace mount \(record.name) SLOT --reason …"
    )
  }
}

struct WorkspaceList: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "list", abstract: "List workspaces.")
  @OptionGroup var projectOptions: ProjectOptions
  @Flag(help: "Print JSON for machines.") var json = false

  func run() throws {
    let workspaces = try projectOptions.openProject().workspaces.list()
    if json { return try Console.json(workspaces) }
    if workspaces.isEmpty { Console.print("No workspaces.") }
    for workspace in workspaces {
      let place = workspace.slot.map { "in \($0)" } ?? "hibernated"
      Console.print("\(workspace.name)  \(workspace.latestVersion ?? "-")  \(place)  \(workspace.goal)")
    }
  }
}

struct WorkspaceMount: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "mount", abstract: "Put a workspace's files into a slot.")
  @OptionGroup var projectOptions: ProjectOptions
  @Argument(help: "The workspace.") var name: String
  @Argument(help: "The slot, e.g. w1.") var slot: String
  @Option(help: "Why (recorded in the journal).") var reason: String

  func run() throws {
    let project = try projectOptions.openProject()
    let summary = try project.workspaces.mount(name, slot: slot, reason: reason)
    Console.print("Mounted \(name) in \(project.paths.slot(summary.slot))")
    let orientation = try project.workspaces.orientation(mounted: name, slot: summary.slot)
    if let checkpoint = orientation.lastCheckpoint {
      Console.print(
        "Last saved: \(checkpoint.version) (\(checkpoint.createdAt), \(checkpoint.createdBy)): \(checkpoint.message)")
    }
    orientation.experimentContext.summaryLines.forEach { Console.print($0) }
    if let warning = orientation.warning { Console.error("warning: \(warning)") }
  }
}

struct WorkspaceCheckpoint: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "checkpoint", abstract: "Save the slot as a new version.")
  @OptionGroup var projectOptions: ProjectOptions
  @Argument(help: "The slot.") var slot: String
  @Option(help: "What changed.") var message: String
  @Flag(help: "Print JSON for machines.") var json = false

  func run() throws {
    let result = try projectOptions.openProject().workspaces.checkpoint(slot: slot, message: message)
    if json { return try Console.json(CheckpointView(slot: slot, message: message, result: result)) }
    Console.print(
      result.created
        ? "Saved \(result.workspace) \(result.version) (\(result.changes.count) files changed)"
        : "Nothing changed since \(result.workspace) \(result.version)")
  }
}

struct WorkspaceRollback: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "rollback", abstract: "Make a slot hold an earlier version (unsaved work is saved first).")
  @OptionGroup var projectOptions: ProjectOptions
  @Argument(help: "The slot.") var slot: String
  @Argument(help: "The version, e.g. v2.") var version: String
  @Option(help: "Why (recorded in the journal).") var reason: String
  @Flag(help: "Print JSON for machines.") var json = false

  func run() throws {
    let number = try VersionLabel.parse(version)
    let result = try projectOptions.openProject().workspaces.rollback(slot: slot, to: number, reason: reason)
    if json { return try Console.json(result) }
    Console.print("Slot \(slot) now holds \(result.workspace) \(result.version)")
    if result.changes.isEmpty { Console.print("no files changed") }
    for change in result.changes {
      let did = ["added": "restored", "modified": "reverted", "deleted": "removed"][change.status.rawValue] ?? ""
      Console.print("  \(did) \(change.path)")
    }
  }
}

struct WorkspaceHibernate: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "hibernate", abstract: "Save a slot and free it.")
  @OptionGroup var projectOptions: ProjectOptions
  @Argument(help: "The slot.") var slot: String
  @Option(help: "Why (recorded in the journal).") var reason: String

  func run() throws {
    let result = try projectOptions.openProject().workspaces.hibernate(slot: slot, reason: reason)
    Console.print("Hibernated \(result.workspace) at \(result.version); slot \(slot) is free")
  }
}

struct WorkspaceDiffCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "diff",
    abstract: "Compare a slot with its latest version, a version with the one before, or any two of them.")
  @OptionGroup var projectOptions: ProjectOptions
  @Argument(help: "SLOT, WORKSPACE or WORKSPACE@vN.") var first: String
  @Argument(help: "Another SLOT, WORKSPACE or WORKSPACE@vN.") var second: String?
  @Flag(help: "Only list the changed files.") var nameOnly = false
  @Flag(help: "Print JSON for machines.") var json = false

  func run() throws {
    let diff = try projectOptions.openProject().workspaces.diff(first, second)
    if json { return try Console.json(DiffView(diff)) }
    Console.print(DiffView(diff).summary)
    for change in diff.changes {
      Console.print("  \(change.status.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) \(change.path)")
    }
    if !nameOnly && !diff.patch.isEmpty { Console.print("\n" + diff.patch) }
  }
}

struct WorkspaceHistory: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "history", abstract: "List a workspace's versions.")
  @OptionGroup var projectOptions: ProjectOptions
  @Argument(help: "The workspace.") var name: String
  @Flag(help: "Print JSON for machines.") var json = false

  func run() throws {
    let versions = try projectOptions.openProject().workspaces.history(name)
    if json { return try Console.json(versions.map(VersionView.init)) }
    if versions.isEmpty { Console.print("\(name) has no versions yet.") }
    for version in versions.reversed() {
      Console.print("\(version.label)  \(version.createdAt)  \(version.createdBy)  \(version.message)")
    }
  }
}

struct WorkspaceDelete: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "delete", abstract: "Retire a workspace that is not mounted; its versions are kept.")
  @OptionGroup var projectOptions: ProjectOptions
  @Argument(help: "The workspace.") var name: String
  @Option(help: "Why (recorded in the journal).") var reason: String

  func run() throws {
    try projectOptions.openProject().workspaces.delete(name, reason: reason)
    Console.print("Deleted workspace \(name); its versions are kept.")
  }
}
