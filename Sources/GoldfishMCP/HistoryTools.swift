import Foundation
import Host
import MCP

/// `list_history`: a workspace's runs and checkpoints, newest first and paginated, so an agent
/// that lost its context can see what was tried without pulling every run at once.
enum HistoryTools {
  typealias S = JSONSchema

  static var all: [MCPTool] { [listHistory] }

  static let recordSchema = S.object([
    "record_id": S.string, "record_type": S.string, "stage_run_id": S.nullable(S.string), "version": S.string,
    "created_at": S.string, "age": S.string, "stage": S.nullable(S.string), "reason": S.string,
    "state": S.nullable(S.string),
  ])

  static let listHistory = MCPTool(
    name: "list_history",
    description:
      "A workspace's history: its stage runs and the versions saved without a run (checkpoints), newest first, one page at a time.",
    parameters: [
      .string("workspace", "The workspace, or a slot holding it.", required: true),
      .string("record_type", "Only runs or only checkpoints (default both).", choices: ["run", "checkpoint"]),
      .string("stage", "Only runs of this stage."),
      .boolean("desc", "Newest first (default true)."),
      .integer("limit", "How many (default 20, at most 200).", minimum: 1, maximum: 200),
      .integer("offset", "How many to skip (default 0).", minimum: 0, maximum: ToolParameter.offsetLimit),
    ],
    output: ["workspace": S.string, "records": S.array(recordSchema), "total": S.integer, "has_more": S.boolean],
    annotations: .init(readOnlyHint: true)
  ) { call in
    let target = try call.required("workspace")
    let kind = call.string("record_type").flatMap(HistoryEntry.Kind.init(rawValue:))
    let stage = call.string("stage")
    let newestFirst = call.bool("desc") ?? true
    let limit = call.int("limit") ?? 20
    let offset = call.int("offset") ?? 0
    let (workspace, page) = try await call.withProject { project throws -> (String, HistoryPage) in
      let workspace = try WorkspaceTools.resolveWorkspace(project, target)
      guard try project.store.workspace(workspace) != nil else {
        throw GoldfishError(.notFound, "no workspace \(workspace)", hint: "list_workspaces shows them")
      }
      let page = try project.store.history(
        workspace: workspace, kind: kind, stage: stage, newestFirst: newestFirst, limit: limit, offset: offset)
      return (workspace, page)
    }
    let now = Date()
    let records = page.entries.map { entry -> Value in
      [
        "record_id": .string(entry.recordID), "record_type": .string(entry.kind.rawValue),
        "stage_run_id": entry.kind == .run ? .string(entry.recordID) : .null, "version": .string("v\(entry.version)"),
        "created_at": .string(entry.createdAt), "age": .string(age(of: entry.createdAt, now: now)),
        "stage": entry.stage.map(Value.string) ?? .null, "reason": .string(entry.reason),
        "state": entry.state.map(Value.string) ?? .null,
      ]
    }
    let hasMore = offset + records.count < page.total
    return ToolOutput(
      [
        "workspace": .string(workspace), "records": .array(records), "total": .int(page.total),
        "has_more": .bool(hasMore),
      ],
      text:
        "\(workspace): \(records.count) of \(page.total) records\(hasMore ? ", more with offset \(offset + records.count)" : "")"
    )
  }

  /// "42s ago", "5m ago", "3h ago", "2d ago": how an agent reads recency at a glance.
  static func age(of timestamp: String, now: Date) -> String {
    let parser = ISO8601DateFormatter()
    parser.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    guard let date = parser.date(from: timestamp) ?? ISO8601DateFormatter().date(from: timestamp) else {
      return "unknown"
    }
    let seconds = max(0, Int(now.timeIntervalSince(date)))
    switch seconds {
    case ..<60: return "\(seconds)s ago"
    case ..<3600: return "\(seconds / 60)m ago"
    case ..<86_400: return "\(seconds / 3600)h ago"
    default: return "\(seconds / 86_400)d ago"
    }
  }
}
