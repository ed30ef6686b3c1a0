import ArgumentParser
import Foundation
import Host
import PluginKit

/// `goldfish pool status|cleanup`: the warm pool of the run backend.
struct PoolCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "pool", abstract: "The warm pool: workers kept between runs.",
    subcommands: [PoolStatusCommand.self, PoolCleanupCommand.self, PoolReapCommand.self])
}

struct PoolStatusCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "status", abstract: "Workers by state, and each one.")
  @OptionGroup var projectOptions: ProjectOptions
  @Flag(help: "Print JSON for machines.") var json = false

  func run() throws {
    let project = try projectOptions.openProject()
    let services = try ExecutionServices.open(project)
    WarmPoolReaperSchedule.reapInPassing(project)
    let report = try WarmPoolReport(pool: WarmPool(services: services))
    if json { return try Console.json(WarmPoolView(report)) }
    Console.print(report.summary)
    if !report.backendSupportsReuse {
      Console.print("  the \(report.backend) backend cannot keep workers (no warm_reuse capability)")
    } else if !report.enabled {
      Console.print("  set \(report.backend).warm_pool.enabled: true in goldfish.yaml to turn it on")
    }
    for instance in report.instances {
      let lease = instance["lease_run_id"]?.stringValue.map { " holding \($0)" } ?? ""
      Console.print(
        "  \(instance["worker_id"]?.stringValue ?? "?")  \(instance["state"]?.stringValue ?? "?")\(lease)"
          + "  since \(instance["state_entered_at"]?.stringValue ?? "?")  jobs \(instance["jobs_done"]?.intValue ?? 0)")
    }
  }
}

struct PoolCleanupCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "cleanup", abstract: "Emergency: delete every warm worker (runs holding one are canceled).")
  @OptionGroup var projectOptions: ProjectOptions
  @Option(help: "Why (recorded in the journal).") var reason = "emergency warm pool cleanup"
  @Flag(help: "Print JSON for machines.") var json = false

  func run() throws {
    let project = try projectOptions.openProject()
    let result = try WarmPoolCleanup(services: try ExecutionServices.open(project)).run(reason: reason)
    try project.journal.record(
      "warm_pool_cleanup", reason: reason,
      details: ["deleted": .array(result.deleted.map { .string($0) }), "remaining": .int(Int64(result.remaining))])
    if json { return try Console.json(result) }
    Console.print("Deleted: \(result.deleted.isEmpty ? "none" : result.deleted.joined(separator: ", "))")
    if !result.deletionPending.isEmpty {
      Console.print("Deletion pending: \(result.deletionPending.joined(separator: ", "))")
    }
    for skipped in result.skipped { Console.print("Skipped: \(skipped)") }
    Console.print("Remaining rows: \(result.remaining)")
    if !result.success { throw ExitCode(1) }
  }
}

/// One full reaper pass, when no other process holds the reaper's lease; started detached by
/// commands that notice the pool needs one (hidden: people use `pool status` and `pool cleanup`).
struct PoolReapCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "reap", abstract: "One pass of the warm pool's reaper.", shouldDisplay: false)
  @OptionGroup var projectOptions: ProjectOptions

  func run() throws {
    let project = try projectOptions.openProject()
    _ = try WarmPoolReaper(services: try ExecutionServices.open(project)).reapIfLeader(leaseSeconds: 60)
  }
}
