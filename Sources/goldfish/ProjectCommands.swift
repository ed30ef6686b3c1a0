import ArgumentParser
import Foundation
import Host

extension ProjectOptions {
  /// The project the command acts on; an error naming the fix when there is none.
  func openProject() throws -> Project {
    guard let location = try location() else {
      throw GoldfishError(
        .configNotFound, "\(FileManager.default.currentDirectoryPath) is not inside a Goldfish project",
        hint: "cd into one, pass --project PATH, or create one with goldfish init NAME")
    }
    return try Project.open(location)
  }
}

struct InitCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "init", abstract: "Create a project: goldfish.yaml, STATE.md, slots and its hidden version store.")

  @Argument(help: "The project name.") var name: String
  @Option(help: "Where to create it (default: ./NAME).") var path: String?
  @Option(help: "A folder whose files become the project's initial files.") var from: String?
  @Flag(help: "Print JSON for machines.") var json = false

  func run() throws {
    let host = try PluginHost.start(project: nil)
    let backends = Set(
      host.registry.plugins.flatMap { $0.services }.filter { $0.kind == "run_backend" && $0.implemented }.map {
        $0.name
      })
    let outcome = try ProjectInitializer(name: name, path: path, from: from, availableBackends: backends).run()
    if json { return try Console.json(outcome) }
    Console.print("Created project \(name) in \(outcome.root)")
    Console.print("Run backend: \(outcome.backend) (\(outcome.backendReason))")
    Console.print("Slots: \(outcome.slots.joined(separator: ", "))")
    Console.print("Next: cd \(outcome.root) && goldfish workspace create NAME --goal \"…\" --reason \"…\"")
  }
}

struct StatusCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "status", abstract: "Where the project stands: slots, workspaces, runs, STATE.md, next steps.")

  @OptionGroup var projectOptions: ProjectOptions
  @Flag(help: "Print JSON for machines.") var json = false

  func run() throws {
    let project = try projectOptions.openProject()
    WarmPoolReaperSchedule.reapInPassing(project)
    let status = try ProjectStatus(project: project)
    if json { return try Console.json(StatusView(status)) }
    Console.print("Project \(status.project) (\(status.root))")
    Console.print("\nSlots:")
    for slot in status.slots {
      guard let workspace = slot.workspace else {
        Console.print("  \(slot.slot): empty")
        continue
      }
      let state =
        slot.problem.map { "cannot be saved: \($0)" }
        ?? (slot.dirty == true ? "\(slot.changedFiles ?? 0) unsaved changes" : "clean")
      Console.print("  \(slot.slot): \(workspace) \(slot.version ?? "(no versions)"), \(state)")
    }
    Console.print("\nWorkspaces:")
    if status.workspaces.isEmpty { Console.print("  none") }
    for workspace in status.workspaces {
      Console.print(
        "  \(workspace.name): \(workspace.versions) versions\(workspace.slot.map { ", in \($0)" } ?? "") — \(workspace.goal)"
      )
    }
    Console.print("\nRuns: \(status.activeRuns.count) active")
    for run in status.activeRuns + status.recentRuns {
      let state = StageRunState(rawValue: run.state).map(RunOutcomes.mark) ?? run.state
      Console.print(
        "  \(run.id) \(run.stage) \(run.workspace)@\(run.version): \(state)"
          + (run.unsandboxed == nil ? "" : " (NOT SANDBOXED)"))
    }
    for (workspace, pending) in status.pendingFinalization.sorted(by: { $0.key < $1.key }) {
      Console.print("Awaiting finalization in \(workspace): \(pending.count) (e.g. \(pending.example))")
    }
    Console.print("Sources: \(status.sources)")
    let pooled = status.warmPool.filter { $0.key != "gone" && $0.value > 0 }.sorted { $0.key < $1.key }
    if !pooled.isEmpty {
      Console.print("Warm pool: " + pooled.map { "\($0.value) \($0.key)" }.joined(separator: ", "))
    }
    if !status.nextSteps.isEmpty {
      Console.print("\nNext:")
      status.nextSteps.forEach { Console.print("  - \($0)") }
    }
  }
}

struct ThoughtCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "thought", abstract: "Write a note into STATE.md for whoever picks the project up next.")

  @OptionGroup var projectOptions: ProjectOptions
  @Argument(help: "The note.") var text: String
  @Option(help: "The workspace it is about.") var workspace: String?

  func run() throws {
    try projectOptions.openProject().journal.thought(text, workspace: workspace)
    Console.print("Noted.")
  }
}
