import Foundation
import Host
import MCP
import PluginKit

/// `create_backup`, `list_backups`, `cleanup_backups`, `get_backup_status`: upstream's backup
/// tools over the project's own object storage (docs/backups.md). Restore is CLI only: it
/// replaces the database under every open server.
enum BackupTools {
  typealias S = JSONSchema

  static var all: [MCPTool] { [create, list, cleanup, status] }

  static let backupFields: [String: Value] = [
    "backup_id": S.string, "tier": S.string, "trigger": S.string, "details": S.nullable(S.string),
    "status": S.string, "error": S.nullable(S.string), "created_at": S.string, "expires_at": S.string,
    "deleted_at": S.nullable(S.string), "database_key": S.string, "database_sha256": S.string,
    "database_bytes": S.integer, "repository_key": S.nullable(S.string), "repository_sha256": S.nullable(S.string),
    "repository_bytes": S.nullable(S.integer),
  ]

  static let create = MCPTool(
    name: "create_backup",
    description:
      "Back up the project now: the database (a consistent snapshot, gzipped) and the versions repository (a git bundle) go to the project's object storage under backups/, listed in backups/manifest.json. The tier (monthly, weekly, daily, event) follows from the backups already kept.",
    parameters: [
      .string("trigger", "What asked for it (default manual; manual is never rate limited)."),
      .string("details", "A note kept with the backup."),
    ],
    output: [
      "success": S.boolean, "created": S.boolean, "backup_id": S.nullable(S.string), "tier": S.nullable(S.string),
      "uri": S.nullable(S.string), "size_bytes": S.nullable(S.integer), "skipped": S.nullable(S.string),
      "backup": S.nullable(S.object(backupFields)),
    ],
    annotations: .init(openWorldHint: true)
  ) { call in
    let trigger = call.string("trigger") ?? "manual"
    let details = call.string("details")
    return try await call.withProject { project in
      let manager = BackupManager(project: project)
      let outcome = try manager.create(trigger: trigger, details: details)
      var uri: String?
      if case .created(let record) = outcome { uri = manager.uri(of: record.databaseKey) }
      let view = BackupCreatedView(outcome, uri: uri)
      let text =
        view.created
        ? "Backup \(view.backupID ?? "") (\(view.tier ?? "")), \(view.sizeBytes ?? 0) bytes at \(view.uri ?? "?")"
        : "No backup: \(view.skipped ?? "")"
      return try ToolOutput(encoding: view, text: text)
    }
  }

  static let list = MCPTool(
    name: "list_backups",
    description: "The project's backups, newest first, with tier, trigger, storage keys, SHA-256 and sizes.",
    parameters: [
      .string("tier", "Only this tier.", choices: BackupTier.allCases.map(\.rawValue)),
      .boolean("include_deleted", "Also backups removed by cleanup (default false)."),
    ],
    output: [
      "success": S.boolean, "backups": S.array(S.object(backupFields)), "counts": S.anyObject, "total": S.integer,
    ],
    annotations: .init(readOnlyHint: true)
  ) { call in
    let tier = call.string("tier").flatMap(BackupTier.init(rawValue:))
    let includeDeleted = call.bool("include_deleted") ?? false
    return try await call.withProject { project in
      let view = BackupListView(try BackupManager(project: project).list(tier: tier, includeDeleted: includeDeleted))
      return try ToolOutput(encoding: view, text: "\(view.total) backups")
    }
  }

  static let cleanup = MCPTool(
    name: "cleanup_backups",
    description:
      "Delete expired backups (monthly 365 d, weekly 30 d, daily 7 d, event 24 h unless goldfish.yaml's backup section says otherwise) and event backups beyond the newest 20.",
    parameters: [],
    output: ["success": S.boolean, "deleted_expired": S.integer, "deleted_excess": S.integer, "deleted": S.strings],
    annotations: .init(destructiveHint: true, idempotentHint: true, openWorldHint: true)
  ) { call in
    try await call.withProject { project in
      let view = BackupCleanupView(try BackupManager(project: project).cleanup())
      return try ToolOutput(
        encoding: view, text: "Deleted \(view.deletedExpired) expired and \(view.deletedExcess) excess backups")
    }
  }

  static let status = MCPTool(
    name: "get_backup_status",
    description:
      "Whether backups are on, how many of each tier are kept, the last backup and the last failed attempt, how many expired ones wait for cleanup, and where they are stored.",
    parameters: [],
    output: [
      "success": S.boolean, "enabled": S.boolean, "automatic": S.boolean, "counts": S.anyObject,
      "last_backup": S.nullable(S.anyObject), "last_failure": S.nullable(S.anyObject),
      "expired_pending_cleanup": S.integer, "storage": S.string, "storage_uri": S.nullable(S.string),
      "warning": S.nullable(S.string),
    ],
    annotations: .init(readOnlyHint: true)
  ) { call in
    try await call.withProject { project in
      let view = BackupStatusView(try BackupManager(project: project).status())
      return try ToolOutput(encoding: view, text: view.summary)
    }
  }
}
