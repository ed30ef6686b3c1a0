import Foundation
import Host
import MCP

/// `list_history`: a workspace's experiment records (runs and checkpoints) with upstream's
/// filters, newest first or by metric, one page at a time, so an agent that lost its context
/// can see what was tried and what worked without pulling every run at once.
enum HistoryTools {
  typealias S = JSONSchema

  static var all: [MCPTool] { [listHistory] }

  static let recordSchema = S.object([
    "record_id": S.string, "record_type": S.string, "stage_run_id": S.nullable(S.string),
    "version": S.nullable(S.string), "created_at": S.string, "age": S.string, "stage": S.nullable(S.string),
    "reason": S.string, "state": S.nullable(S.string), "results_status": S.nullable(S.string),
    "ml_outcome": S.nullable(S.string), "primary_metric": S.nullable(S.anyObject), "tags": S.array(S.string),
    "experiment_group": S.nullable(S.string),
  ])

  static let listHistory = MCPTool(
    name: "list_history",
    description:
      "A workspace's experiment records: its stage runs and the versions saved without a run (checkpoints), with results status, outcome, primary metric and tags; newest first or by metric value, one page at a time.",
    parameters: [
      .string("workspace", "The workspace, or a slot holding it.", required: true),
      .string("record_type", "Only runs or only checkpoints (default both).", choices: ["run", "checkpoint"]),
      .string("stage", "Only runs of this stage."),
      ToolParameter(
        name: "tagged", kind: .stringOrBoolean,
        description: "true: only tagged records; false: only untagged ones; a tag name: only the record with that tag."),
      .string("metric", "Only records whose primary metric has this name."),
      .number("min_value", "Only records whose primary value (final, else auto) is at least this."),
      .string("experiment_group", "Only runs of this experiment group."),
      .string(
        "sort_by", "created (default) or metric: by primary value, only records that have one.",
        choices: HistoryQuery.Order.allCases.map(\.rawValue)),
      .boolean("desc", "Newest (or highest) first (default true)."),
      .boolean("include_pruned", "Also checkpoints of pruned versions (default false)."),
      .boolean("include_internal_ids", "Also pipeline_run_id and the version's git tag (default false)."),
      .boolean("finalized_only", "Only runs whose result was finalized (default false)."),
      .integer("limit", "How many (default 20, at most 200).", minimum: 1, maximum: 200),
      .integer("offset", "How many to skip (default 0).", minimum: 0, maximum: ToolParameter.offsetLimit),
    ],
    output: [
      "workspace": S.string, "records": S.array(recordSchema), "total": S.integer, "has_more": S.boolean,
      "limit": S.integer, "offset": S.integer,
    ],
    annotations: .init(readOnlyHint: true)
  ) { call in
    let target = try call.required("workspace")
    let tagged: HistoryQuery.Tagged? =
      switch call.arguments["tagged"] {
      case .bool(let wanted)?: .any(wanted)
      case .string(let tag)?: .named(tag.hasPrefix("@") ? String(tag.dropFirst()) : tag)
      default: nil
      }
    let arguments = call
    let listing = try await call.withProject { project in
      let query = HistoryQuery(
        workspace: try WorkspaceTools.resolveWorkspace(project, target),
        kind: arguments.string("record_type").flatMap(HistoryEntry.Kind.init(rawValue:)),
        stage: arguments.string("stage"), tagged: tagged, metric: arguments.string("metric"),
        minValue: arguments.double("min_value"), experimentGroup: arguments.string("experiment_group"),
        order: arguments.string("sort_by").flatMap(HistoryQuery.Order.init(rawValue:)) ?? .created,
        newestFirst: arguments.bool("desc") ?? true, includePruned: arguments.bool("include_pruned") ?? false,
        finalizedOnly: arguments.bool("finalized_only") ?? false, limit: arguments.int("limit") ?? 20,
        offset: arguments.int("offset") ?? 0)
      return try project.records.history(query, internalIDs: arguments.bool("include_internal_ids") ?? false)
    }
    let more = listing.hasMore ? ", more with offset \(listing.offset + listing.records.count)" : ""
    return try ToolOutput(
      encoding: listing, text: "\(listing.workspace): \(listing.records.count) of \(listing.total) records\(more)")
  }
}
