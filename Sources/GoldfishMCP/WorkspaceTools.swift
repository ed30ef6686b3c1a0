import Foundation
import Host
import MCP
import PluginKit

/// Workspace tools: create, mount, save, roll back, compare, hibernate and retire workspaces.
enum WorkspaceTools {
  typealias S = JSONSchema

  static let reason = ToolParameter.string(
    "reason", "Why (at least 15 characters; recorded in the journal).", required: true)

  static var all: [MCPTool] {
    [create, mount, hibernate, saveVersion, rollback, diff, inspect, delete, list, manageVersions]
  }

  static let create = MCPTool(
    name: "create_workspace",
    description:
      "Create a workspace (a line of work with its own versions) from the project's initial files, from another workspace's latest version, or from one of its versions. It is not mounted: mount it into a slot to edit it.",
    parameters: [
      .string("name", "The new workspace name (letters, digits, - and _).", required: true),
      .string("goal", "What this line of work tries to achieve.", required: true), reason,
      .string("from_workspace", "Start from this workspace (its latest version) instead of the initial files."),
      .string("from_version", "With from_workspace: start from this version, e.g. v3."),
    ],
    output: ["success": S.boolean, "workspace": S.string, "forked_from": S.string, "goal": S.string],
    annotations: .init(destructiveHint: false, idempotentHint: false, openWorldHint: false)
  ) { call in
    let name = try call.required("name")
    let goal = try call.required("goal")
    let why = try call.required("reason")
    var base: WorkspaceReference?
    if let from = call.string("from_workspace") {
      base = WorkspaceReference(workspace: from, version: try call.string("from_version").map(parseVersion))
    } else if call.string("from_version") != nil {
      throw GoldfishError(
        .invalidArgument, "from_version needs from_workspace", hint: "e.g. from_workspace: baseline, from_version: v2")
    }
    let from = base
    let record = try await call.withProject { project in
      try project.workspaces.create(name: name, goal: goal, reason: why, from: from)
    }
    let forked = base?.description ?? "initial files"
    return ToolOutput(
      ["success": true, "workspace": .string(record.name), "forked_from": .string(forked), "goal": .string(goal)],
      text: "Created workspace \(record.name) from \(forked). Next: mount it into a slot.")
  }

  static let mount = MCPTool(
    name: "mount",
    description:
      "Put a workspace's files into a slot (e.g. w1) so they can be edited at the returned path. Returns STATE.md, the workspace's experiment context (as get_experiment_context), its last saved version, and a warning when three or more other slots are in use.",
    parameters: [
      .string("workspace", "The workspace to mount.", required: true),
      .string("slot", "The slot, e.g. w1.", required: true), reason,
    ],
    output: [
      "success": S.boolean, "slot": S.string, "workspace": S.string, "path": S.string,
      "version": S.nullable(S.string), "dirty": S.string, "state_md": S.string,
      "experiment_context": S.object(ExperimentTools.contextSchema),
      "last_checkpoint": S.nullable(
        S.object([
          "version": S.string, "tag": S.string, "created_at": S.string, "created_by": S.string, "message": S.string,
        ])),
      "warning": S.nullable(S.string),
    ],
    annotations: .init(destructiveHint: false, idempotentHint: false, openWorldHint: false)
  ) { call in
    let workspace = try call.required("workspace")
    let slot = try call.required("slot")
    let why = try call.required("reason")
    return try await call.withProject { project in
      let summary = try project.workspaces.mount(workspace, slot: slot, reason: why)
      let orientation = try project.workspaces.orientation(mounted: workspace, slot: summary.slot)
      var checkpoint = Value.null
      if let last = orientation.lastCheckpoint { checkpoint = try MCPValue.encode(last) }
      let path = project.paths.slot(summary.slot)
      return ToolOutput(
        [
          "success": true, "slot": .string(summary.slot), "workspace": .string(workspace), "path": .string(path),
          "version": summary.version.map(Value.string) ?? .null,
          "dirty": summary.dirty == true ? "dirty" : "clean", "state_md": .string(stateMD(project, limit: 3000)),
          "experiment_context": try MCPValue.encode(orientation.experimentContext.json),
          "last_checkpoint": checkpoint,
          "warning": orientation.warning.map(Value.string) ?? .null,
        ],
        text:
          "Mounted \(workspace) in \(slot): edit files in \(path). "
          + ExperimentTools.summary(orientation.experimentContext)
          + (orientation.warning.map { ". Warning: \($0)" } ?? ""))
    }
  }

  static let hibernate = MCPTool(
    name: "hibernate",
    description:
      "Save a slot's files as a version (if anything changed) and free the slot. The workspace keeps all its versions and can be mounted again.",
    parameters: [.string("slot", "The slot to free, e.g. w1.", required: true), reason],
    output: [
      "success": S.boolean, "slot": S.string, "workspace": S.string, "version": S.string,
      "auto_checkpointed": S.boolean,
    ],
    annotations: .init(destructiveHint: false, idempotentHint: false, openWorldHint: false)
  ) { call in
    let slot = try call.required("slot")
    let why = try call.required("reason")
    let result = try await call.withProject { project in try project.workspaces.hibernate(slot: slot, reason: why) }
    return ToolOutput(
      [
        "success": true, "slot": .string(slot), "workspace": .string(result.workspace),
        "version": .string(result.version),
        "auto_checkpointed": .bool(result.created),
      ],
      text: "Hibernated \(result.workspace) at \(result.version); slot \(slot) is free")
  }

  static let saveVersion = MCPTool(
    name: "save_version",
    description:
      "Save a slot's current files as a new version of its workspace (a checkpoint). Runs do this by themselves before they execute.",
    parameters: [
      .string("slot", "The slot, e.g. w1.", required: true),
      .string("message", "What changed since the last version.", required: true),
    ],
    output: [
      "success": S.boolean, "slot": S.string, "workspace": S.string, "version": S.string, "created": S.boolean,
      "files_changed": S.strings, "message": S.string,
    ],
    annotations: .init(destructiveHint: false, idempotentHint: false, openWorldHint: false)
  ) { call in
    let slot = try call.required("slot")
    let message = try call.required("message")
    let result = try await call.withProject { project in try project.workspaces.checkpoint(slot: slot, message: message)
    }
    return try ToolOutput(
      encoding: CheckpointView(slot: slot, message: message, result: result),
      text: result.created
        ? "Saved \(result.workspace) \(result.version) (\(result.changes.count) files changed)"
        : "Nothing changed since \(result.workspace) \(result.version)")
  }

  static let rollback = MCPTool(
    name: "rollback",
    description:
      "Make a slot hold an earlier version of its workspace. Unsaved work is saved as a version first, so nothing is lost.",
    parameters: [
      .string("slot", "The slot, e.g. w1.", required: true),
      .string("version", "The version to go back to, e.g. v2.", required: true), reason,
    ],
    output: [
      "success": S.boolean, "slot": S.string, "workspace": S.string, "version": S.string,
      "git_tag": S.nullable(S.string), "files_reverted": S.strings,
      "changes": S.array(S.object(["path": S.string, "status": S.string])), "state_md": S.string,
    ],
    annotations: .init(destructiveHint: false, idempotentHint: false, openWorldHint: false)
  ) { call in
    let slot = try call.required("slot")
    let number = try parseVersion(try call.required("version"))
    let why = try call.required("reason")
    let (result, tag, state) = try await call.withProject { project throws -> (CheckpointResult, String?, String) in
      let result = try project.workspaces.rollback(slot: slot, to: number, reason: why)
      return (result, try project.store.version(of: result.workspace, number)?.tag, stateMD(project, limit: 3000))
    }
    return ToolOutput(
      [
        "success": true, "slot": .string(slot), "workspace": .string(result.workspace),
        "version": .string(result.version), "git_tag": tag.map(Value.string) ?? .null,
        "files_reverted": .array(result.changes.map { .string($0.path) }),
        "changes": .array(result.changes.map { ["path": .string($0.path), "status": .string($0.status.rawValue)] }),
        "state_md": .string(state),
      ],
      text: "Slot \(slot) now holds \(result.workspace) \(result.version); \(result.changes.count) files reverted")
  }

  static let diff = MCPTool(
    name: "diff",
    description:
      "Compare a slot with its latest version (one argument), or any two of: a slot (w1), a workspace (its latest version) or WORKSPACE@vN.",
    parameters: [
      .string("target", "A slot, a workspace or WORKSPACE@vN.", required: true),
      .string("against", "What to compare with (default: the target's previous or latest version)."),
    ],
    output: [
      "has_changes": S.boolean, "summary": S.string, "files_changed": S.array(S.anyObject), "diff_text": S.string,
      "left": S.string, "right": S.string, "truncated": S.boolean,
    ],
    annotations: .init(readOnlyHint: true)
  ) { call in
    let target = try call.required("target")
    let against = call.string("against")
    let diff = try await call.withProject { project in try project.workspaces.diff(target, against) }
    let view = DiffView(diff)
    return try ToolOutput(encoding: view, text: view.summary)
  }

  static let inspect = MCPTool(
    name: "inspect_workspace",
    description:
      "A workspace's goal, where it is mounted, where it came from and its versions (newest first, paginated).",
    parameters: [
      .string("name", "The workspace, or a slot holding it (a slot's name always means the slot).", required: true),
      .integer("version_limit", "How many versions (default 10).", minimum: 1, maximum: 200),
      .integer(
        "version_offset", "Skip this many of the newest versions (default 0).", minimum: 0,
        maximum: ToolParameter.offsetLimit),
      .strings("include", "Extra parts: \"pipeline\" (the stages with their inputs and outputs)."),
    ],
    output: [
      "name": S.string, "goal": S.string, "is_mounted": S.boolean, "slot": S.nullable(S.string),
      "lineage": S.object([
        "name": S.string, "created": S.string, "parent": S.nullable(S.string), "version_count": S.integer,
        "versions": S.array(S.anyObject), "parent_version": S.nullable(S.string), "branches": S.array(S.anyObject),
      ]),
      "tags": S.array(S.anyObject), "pipeline": S.nullable(S.anyObject),
    ],
    annotations: .init(readOnlyHint: true)
  ) { call in
    let name = try call.required("name")
    let limit = call.int("version_limit") ?? 10
    let offset = call.int("version_offset") ?? 0
    let include = call.strings("include") ?? []
    for part in include where part != "pipeline" {
      throw GoldfishError(
        .invalidArgument, "inspect_workspace cannot include \"\(ValueQuote.short(part))\"", hint: "one of: pipeline")
    }
    return try await call.withProject { project in
      let workspaceName = try resolveWorkspace(project, name)
      guard let summary = try project.workspaces.list().first(where: { $0.name == workspaceName }) else {
        throw GoldfishError(.notFound, "no workspace \(workspaceName)", hint: "list_workspaces shows them")
      }
      let versions = try project.workspaces.history(workspaceName).reversed().dropFirst(offset).prefix(limit)
      let branches = try MCPValue.encode(JSONValue.array(try project.branches(of: workspaceName)))
      let lineage: Value = [
        "name": .string(summary.name), "created": .string(summary.createdAt),
        "parent": summary.parent.map(Value.string) ?? .null, "version_count": .int(summary.versions),
        "versions": .array(versions.map(versionValue)),
        "parent_version": summary.parent.flatMap { $0.split(separator: "@").dropFirst().first }.map {
          .string(String($0))
        }
          ?? .null,
        "branches": branches,
      ]
      let tags: [Value] = try project.tags(of: workspaceName).map { tag in
        [
          "tag": .string(tag.tag), "record_id": tag.recordID.map(Value.string) ?? .null,
          "version": tag.version.map { .string("v\($0)") } ?? .null, "created_at": .string(tag.createdAt),
        ]
      }
      var fields: [String: Value] = [
        "name": .string(summary.name), "goal": .string(summary.goal), "is_mounted": .bool(summary.slot != nil),
        "slot": summary.slot.map(Value.string) ?? .null, "lineage": lineage, "tags": .array(tags),
      ]
      if include.contains("pipeline") {
        fields["pipeline"] = try MCPValue.encode(try project.pipelineView(workspace: workspaceName))
      }
      return ToolOutput(
        .object(fields),
        text:
          "\(summary.name): \(summary.versions) versions\(summary.slot.map { ", mounted in \($0)" } ?? ", hibernated")")
    }
  }

  static let delete = MCPTool(
    name: "delete_workspace",
    description: "Retire a workspace that is not mounted. Its versions and runs are kept for lineage.",
    parameters: [
      .string("workspace", "The workspace to retire (a workspace name; a slot's name is refused).", required: true),
      reason,
    ],
    output: ["success": S.boolean, "workspace": S.string],
    annotations: .init(destructiveHint: true, idempotentHint: false, openWorldHint: false)
  ) { call in
    let workspace = try call.required("workspace")
    let why = try call.required("reason")
    try await call.withProject { project in try project.workspaces.delete(workspace, reason: why) }
    return ToolOutput(
      ["success": true, "workspace": .string(workspace)], text: "Deleted workspace \(workspace); its versions are kept."
    )
  }

  static let list = MCPTool(
    name: "list_workspaces",
    description: "Every workspace with its goal, slot (if mounted), version count and latest version.",
    parameters: [],
    output: ["workspaces": S.array(S.anyObject), "total": S.integer],
    annotations: .init(readOnlyHint: true)
  ) { call in
    let workspaces = try await call.withProject { project in try project.workspaces.list() }
    return ToolOutput(
      ["workspaces": try MCPValue.encode(workspaces), "total": .int(workspaces.count)],
      text: "\(workspaces.count) workspaces")
  }

  static let manageVersions = MCPTool(
    name: "manage_versions",
    description:
      "A workspace's versions: list them (newest first, pruned ones hidden unless asked), tag or untag one (tags share one namespace with record tags), prune a version or a range with a reason (hidden from listings, kept in git), unprune, or prune every version before a tagged one.",
    parameters: [
      .string("workspace", "The workspace, or a slot holding it.", required: true),
      .string(
        "action", "What to do (default list).",
        choices: ["list", "tag", "untag", "prune", "unprune", "prune_before_tag"]),
      .string("version", "The version (v3) for tag, prune and unprune."),
      .string("tag", "The tag for tag, untag and prune_before_tag: \(TagName.rule)."),
      .string("reason", "Why (prune and prune_before_tag; at least audit.min_reason_length characters)."),
      .string("from_version", "First version of a range to prune or unprune (with to_version)."),
      .string("to_version", "Last version of a range to prune or unprune (inclusive)."),
      .integer("limit", "How many versions to list (default 50).", minimum: 1, maximum: 500),
      .integer("offset", "Skip this many of the newest (default 0).", minimum: 0, maximum: ToolParameter.offsetLimit),
      .boolean("include_pruned", "List pruned versions too (default false)."),
    ],
    output: [
      "workspace": S.string, "versions": S.array(S.anyObject), "total": S.integer, "limit": S.integer,
      "offset": S.integer, "success": S.boolean, "tag": S.string, "removed_tag": S.string, "result": S.anyObject,
    ]
  ) { call in
    let action = call.string("action") ?? "list"
    let name = try call.required("workspace")
    let arguments = call
    return try await call.withProject { project in
      let workspace = try resolveWorkspace(project, name)
      let records = project.records
      func need(_ parameter: String) throws(GoldfishError) -> String {
        guard let value = arguments.string(parameter) else {
          throw GoldfishError(
            .invalidArgument, "manage_versions \(action) needs \"\(parameter)\"",
            hint: "e.g. manage_versions(workspace, action=\"\(action)\", \(parameter)=…)")
        }
        return value
      }
      func selection() throws(GoldfishError) -> VersionSelection {
        try VersionSelection.parse(
          version: arguments.string("version"), from: arguments.string("from_version"),
          to: arguments.string("to_version"), action: action)
      }
      func result(_ outcome: PruneOutcome, _ verb: String) throws(GoldfishError) -> ToolOutput {
        ToolOutput(
          ["success": .bool(true), "result": try MCPValue.encode(outcome)],
          text:
            "\(verb) \(outcome.changed.isEmpty ? "nothing" : outcome.changed.joined(separator: ", ")) of \(workspace)"
            + (outcome.kept.isEmpty ? "" : "; kept " + outcome.kept.map(\.version).joined(separator: ", ")))
      }
      switch action {
      case "tag":
        let outcome = try records.tagVersion(
          workspace: workspace, version: try parseVersion(try need("version")), tag: try need("tag"))
        return ToolOutput(
          ["success": .bool(true), "tag": .string(outcome.tag), "version": .string(outcome.version ?? "")],
          text: "tagged \(outcome.version ?? "") of \(workspace) \(outcome.tag)")
      case "untag":
        let removed = try records.untag(workspace: workspace, try need("tag"))
        return ToolOutput(
          ["success": .bool(true), "removed_tag": .string(removed.tag)], text: "removed tag \(removed.tag)")
      case "prune":
        return try result(
          try records.prune(workspace: workspace, try selection(), reason: arguments.string("reason")), "pruned")
      case "unprune":
        return try result(try records.unprune(workspace: workspace, try selection()), "unpruned")
      case "prune_before_tag":
        return try result(
          try records.pruneBeforeTag(workspace: workspace, tag: try need("tag"), reason: arguments.string("reason")),
          "pruned")
      default:
        let listing = try records.versions(
          workspace: workspace, includePruned: arguments.bool("include_pruned") ?? false,
          limit: arguments.int("limit") ?? 50, offset: arguments.int("offset") ?? 0)
        return try ToolOutput(
          encoding: listing, text: "\(listing.versions.count) of \(listing.total) versions of \(workspace)")
      }
    }
  }

  // MARK: shared helpers

  /// A version as Host's `VersionView` shows it (the CLI's `workspace history --json` too).
  static func versionValue(_ record: VersionRecord) -> Value {
    (try? MCPValue.encode(VersionView(record))) ?? .null
  }

  /// `v3` (or `3`) as a version number; anything else (`v+1`, `v01`, `v 1`) is refused.
  static func parseVersion(_ text: String) throws(GoldfishError) -> Int {
    try VersionLabel.parse(text, allowBareNumber: true)
  }

  /// Tools taking a workspace accept the slot holding it too, as upstream's do. The rule: a name
  /// that is one of the project's slots means that slot. New workspaces can never be named like a
  /// slot; one that was (before that rule) is refused here rather than silently confused.
  static func resolveWorkspace(_ project: Project, _ nameOrSlot: String) throws(GoldfishError) -> String {
    guard project.settings.slots.contains(nameOrSlot) else { return nameOrSlot }
    let holder = try project.store.mount(slot: nameOrSlot)?.workspace
    let namesake = try project.store.workspace(nameOrSlot)
    if holder != nameOrSlot && namesake != nil {
      throw GoldfishError(
        .ambiguousName,
        "\(nameOrSlot) is both a slot and a workspace (named before slot names were refused for workspaces); "
          + "where a tool takes a workspace or a slot, a slot's name means the slot, which "
          + (holder.map { "holds workspace \($0)" } ?? "is empty"),
        hint: holder.map { "name the workspace itself: \($0)" }
          ?? "the CLI's workspace commands take workspace names only: goldfish workspace history \(nameOrSlot)",
        detail: ["name": .string(nameOrSlot), "slot_holds": holder.map(JSONValue.string) ?? .null])
    }
    guard let workspace = holder else {
      throw GoldfishError(.notFound, "slot \(nameOrSlot) is empty", hint: "mount a workspace into it first")
    }
    return workspace
  }

  static func stateMD(_ project: Project, limit: Int) -> String {
    let text = (try? String(contentsOfFile: project.paths.stateMD, encoding: .utf8)) ?? ""
    return MCPValue.truncated(text, limit: limit)
  }
}
