import ArgumentParser
import Foundation
import Host
import PluginKit

/// `goldfish backup create|list|cleanup|status|restore`: the project's backups (docs/backups.md).
struct BackupCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "backup", abstract: "Back up the database and versions to the project's storage, and restore them.",
    subcommands: [
      BackupCreateCommand.self, BackupListCommand.self, BackupCleanupCommand.self, BackupStatusCommand.self,
      BackupRestoreCommand.self,
    ])
}

struct BackupCreateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "create", abstract: "Take a backup now.")
  @OptionGroup var projectOptions: ProjectOptions
  @Option(help: "A note kept with the backup.") var details: String?
  @Flag(help: "Print JSON for machines.") var json = false

  func run() throws {
    let manager = BackupManager(project: try projectOptions.openProject())
    let outcome = try manager.create(trigger: "manual", details: details)
    var uri: String?
    if case .created(let record) = outcome { uri = manager.uri(of: record.databaseKey) }
    let view = BackupCreatedView(outcome, uri: uri)
    if json { return try Console.json(view) }
    guard let backup = view.backup else { return Console.print("No backup: \(view.skipped ?? "")") }
    Console.print("Backup \(backup.id) (\(backup.tier.rawValue)): \(backup.sizeBytes) bytes")
    Console.print("  database \(uri ?? backup.databaseKey)  sha256 \(backup.databaseSHA256)")
    if let key = backup.repositoryKey, let sha = backup.repositorySHA256 {
      Console.print("  versions \(manager.uri(of: key) ?? key)  sha256 \(sha)")
    }
  }
}

struct BackupListCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "list", abstract: "Backups, newest first.")
  @OptionGroup var projectOptions: ProjectOptions
  @Option(help: "Only this tier: monthly, weekly, daily or event.") var tier: String?
  @Flag(help: "Also backups removed by cleanup.") var includeDeleted = false
  @Flag(help: "Print JSON for machines.") var json = false

  func run() throws {
    var chosen: BackupTier?
    if let tier {
      guard let parsed = BackupTier(rawValue: tier) else {
        throw GoldfishError(
          .invalidArgument, "there is no backup tier \(tier)",
          hint: "one of: " + BackupTier.allCases.map(\.rawValue).joined(separator: ", "))
      }
      chosen = parsed
    }
    let backups = try BackupManager(project: try projectOptions.openProject())
      .list(tier: chosen, includeDeleted: includeDeleted)
    if json { return try Console.json(BackupListView(backups)) }
    if backups.isEmpty { return Console.print("No backups.") }
    for backup in backups {
      let deleted = backup.deletedAt.map { "  deleted \($0)" } ?? ""
      Console.print(
        "\(backup.id)  \(backup.tier.rawValue)  \(backup.trigger)  \(backup.createdAt)  \(backup.sizeBytes) bytes"
          + "  expires \(backup.expiresAt)\(deleted)")
    }
  }
}

struct BackupCleanupCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "cleanup", abstract: "Delete expired backups and event backups beyond the limit.")
  @OptionGroup var projectOptions: ProjectOptions
  @Flag(help: "Print JSON for machines.") var json = false

  func run() throws {
    let view = BackupCleanupView(try BackupManager(project: try projectOptions.openProject()).cleanup())
    if json { return try Console.json(view) }
    Console.print("Deleted \(view.deletedExpired) expired and \(view.deletedExcess) excess backups")
    for id in view.deleted { Console.print("  \(id)") }
  }
}

struct BackupStatusCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "status", abstract: "Whether backups are on, what is kept, the last one and the last failure.")
  @OptionGroup var projectOptions: ProjectOptions
  @Flag(help: "Print JSON for machines.") var json = false

  func run() throws {
    let view = BackupStatusView(try BackupManager(project: try projectOptions.openProject()).status())
    if json { return try Console.json(view) }
    Console.print(view.summary)
  }
}

struct BackupRestoreCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "restore",
    abstract: "Put a backup's database and versions back (the newest one by default).",
    discussion: """
      Verifies the checksums, keeps what it replaces aside (reported), and refuses while runs are active.
      Works with .goldfish/ gone: goldfish.yaml names the storage the backups are in. Stop any
      `goldfish serve` on the project first.
      """)
  @OptionGroup var projectOptions: ProjectOptions
  @Argument(help: "The backup to restore (goldfish backup list); the newest when omitted.") var id: String?
  @Flag(help: "Print JSON for machines.") var json = false

  func run() throws {
    guard let location = try projectOptions.location() else {
      throw GoldfishError(
        .configNotFound, "\(FileManager.default.currentDirectoryPath) is not inside a Goldfish project",
        hint: "cd into the project folder (the one with goldfish.yaml) or pass --project PATH")
    }
    let view = BackupRestoredView(try BackupRestore(location: location).restore(id: id))
    if json { return try Console.json(view) }
    Console.print(view.summary)
  }
}
