import Foundation
import Host
import MCP
import PluginKit

/// Data tools: datasets (sources) stages read, and the lineage of what runs produced.
enum DataTools {
  typealias S = JSONSchema

  static var all: [MCPTool] { [register, list, get, delete, manage, promote, lineage] }

  static let sourceSchema: Value = S.object([
    "name": S.string, "description": S.string, "created_at": S.string, "gcs_location": S.string, "uri": S.string,
    "size_bytes": S.nullable(S.integer), "status": S.string, "metadata": S.nullable(S.anyObject),
    "created_by": S.string, "metadata_status": S.string, "stage_run_id": S.nullable(S.string),
    "output_name": S.nullable(S.string),
  ])

  static let lineageSchema: Value = S.object([
    "source_name": S.string, "parents": S.strings, "parent_sources": S.strings, "parent_runs": S.strings,
    "job_id": S.nullable(S.string), "output_name": S.nullable(S.string), "inputs": S.array(S.anyObject),
  ])

  static let register = MCPTool(
    name: "register_source",
    description:
      "Register a dataset stages can read (inputs of type dataset): a local file or folder, or a storage URI such as gs://bucket/data.csv.",
    parameters: [
      .string("name", "The source name (letters, digits, - and _).", required: true),
      .string("gcs_path", "Where the data is: a local path or a storage URI (upstream's name for it)."),
      .string("location", "Same as gcs_path."),
      .string("description", "What the data is.", required: true), WorkspaceTools.reason,
      .object(
        "metadata",
        "Source metadata (schema_version 1: description, source {format, size_bytes, …}, schema); its description must equal description."
      ),
      .string(
        "format", "The data's format (npy, npz, csv, file); must equal metadata.source.format when both are given."),
      .integer(
        "size_bytes", "The data's size; must equal metadata.source.size_bytes when both are given.", minimum: 1,
        maximum: 1 << 50),
    ],
    output: ["success": S.boolean, "source": sourceSchema],
    annotations: .init(destructiveHint: false, idempotentHint: false, openWorldHint: true)
  ) { call in
    let name = try call.required("name")
    guard let location = call.string("gcs_path") ?? call.string("location") else {
      throw GoldfishError(
        .invalidArgument, "register_source needs gcs_path (or location)",
        hint: "a local path or a URI such as gs://bucket/data.csv")
    }
    let description = try call.required("description")
    let why = try call.required("reason")
    let metadata = call.arguments["metadata"].map(MCPValue.json)
    let format = call.string("format")
    let size = call.int("size_bytes").map(Int64.init)
    let record = try await call.withProject { project in
      try project.sources.register(
        .init(
          name: name, location: location, description: description, metadata: metadata, reason: why, format: format,
          sizeBytes: size))
    }
    return ToolOutput(
      ["success": true, "source": sourceValue(record)], text: "Registered \(record.name) → \(record.uri)")
  }

  static let list = MCPTool(
    name: "list_sources",
    description: "Every registered dataset.",
    parameters: [
      .integer("limit", "How many (default 50).", minimum: 1, maximum: 1000),
      .integer("offset", "Skip this many (default 0).", minimum: 0, maximum: ToolParameter.offsetLimit),
    ],
    output: ["sources": S.array(sourceSchema), "total": S.integer],
    annotations: .init(readOnlyHint: true)
  ) { call in
    let all = try await call.withProject { project in try project.sources.list() }
    let page = all.dropFirst(call.int("offset") ?? 0).prefix(call.int("limit") ?? 50)
    return ToolOutput(
      ["sources": .array(page.map(sourceValue)), "total": .int(all.count)], text: "\(all.count) sources")
  }

  static let get = MCPTool(
    name: "get_source",
    description: "One registered dataset with its metadata.",
    parameters: [.string("name", "The source name.", required: true)],
    output: ["source": sourceSchema],
    annotations: .init(readOnlyHint: true)
  ) { call in
    let name = try call.required("name")
    let record = try await call.withProject { project in try project.sources.get(name) }
    return ToolOutput(["source": sourceValue(record)], text: "\(record.name) → \(record.uri)")
  }

  static let delete = MCPTool(
    name: "delete_source",
    description: "Unregister a dataset. Its data is not touched; runs that read it keep their lineage.",
    parameters: [.string("name", "The source name.", required: true), WorkspaceTools.reason],
    output: ["success": S.boolean, "deleted": S.string],
    annotations: .init(destructiveHint: true, idempotentHint: false, openWorldHint: false)
  ) { call in
    let name = try call.required("name")
    let why = try call.required("reason")
    try await call.withProject { project in try project.sources.delete(name, reason: why) }
    return ToolOutput(["success": true, "deleted": .string(name)], text: "Deleted source \(name)")
  }

  /// Upstream's one-tool form of the source tools, so an agent's habits carry over.
  static let manage = MCPTool(
    name: "manage_sources",
    description:
      "Upstream-compatible source management: action list (filters status, created_by), get, lineage (the sources and runs a source made from a run's output came from), update (metadata + reason) or delete.",
    parameters: [
      .string("action", "What to do.", required: true, choices: ["list", "get", "lineage", "update", "delete"]),
      .string("name", "The source (get, lineage, update, delete)."), .string("reason", "Why (update, delete)."),
      .string(
        "status", "list: only sources in this state (active, or upstream's available; deleted ones are never listed)."),
      .string(
        "created_by", "list: only sources created this way (external, or run:<run id>; upstream's job:<run id> too)."),
      .object("metadata", "update: the new metadata (validated as at registration; source.format cannot change)."),
      .integer("limit", "How many (list; default 50).", minimum: 1, maximum: 1000),
      .integer("offset", "Skip this many (list).", minimum: 0, maximum: ToolParameter.offsetLimit),
    ],
    output: [
      "sources": S.array(sourceSchema), "total": S.integer, "source": sourceSchema, "success": S.boolean,
      "deleted": S.string, "source_name": S.string, "parents": S.strings, "parent_sources": S.strings,
      "parent_runs": S.strings, "job_id": S.nullable(S.string), "output_name": S.nullable(S.string),
      "inputs": S.array(S.anyObject),
    ],
    annotations: .init(destructiveHint: true, openWorldHint: false)
  ) { call in
    var arguments = call.arguments
    arguments["action"] = nil
    let target: MCPTool
    switch call.string("action") {
    case "get": target = get
    case "delete": target = delete
    case "update": return try await update(call)
    case "lineage": return try await sourceLineage(call)
    default: return try await filteredList(call)
    }
    let accepted = Set(target.parameters.map(\.name))
    let forwarded = try ToolCall.checked(arguments.filter { accepted.contains($0.key) }, for: target)
    return try await target.handler(
      ToolCall(tool: target.name, arguments: forwarded, context: call.context, progress: call.progress))
  }

  /// `manage_sources(action: "list", status?, created_by?)`.
  static func filteredList(_ call: ToolCall) async throws -> ToolOutput {
    let status = call.string("status").map { $0 == "available" ? "active" : $0 }
    // Upstream named a run's sources job:<id>; here they are run:<id>.
    let createdBy = call.string("created_by").map { $0.hasPrefix("job:") ? "run:" + $0.dropFirst(4) : $0 }
    let all = try await call.withProject { project in try project.sources.list() }.filter { source in
      (status.map { $0 == source.status } ?? true) && (createdBy.map { $0 == source.createdBy } ?? true)
    }
    let page = all.dropFirst(call.int("offset") ?? 0).prefix(call.int("limit") ?? 50)
    return ToolOutput(
      ["sources": .array(page.map(sourceValue)), "total": .int(all.count)], text: "\(all.count) sources")
  }

  /// `manage_sources(action: "update", name, metadata, reason)`.
  static func update(_ call: ToolCall) async throws -> ToolOutput {
    guard let name = call.string("name"), let metadata = call.arguments["metadata"].map(MCPValue.json),
      let why = call.string("reason")
    else {
      throw GoldfishError(
        .invalidArgument, "manage_sources update needs name, metadata and reason",
        hint: "metadata is the whole new metadata object (schema_version 1)")
    }
    let record = try await call.withProject { project in
      try project.sources.updateMetadata(name, metadata: metadata, reason: why)
    }
    return ToolOutput(["success": true, "source": sourceValue(record)], text: "Updated \(record.name)")
  }

  /// `manage_sources(action: "lineage", name)`.
  static func sourceLineage(_ call: ToolCall) async throws -> ToolOutput {
    guard let name = call.string("name") else {
      throw GoldfishError(
        .invalidArgument, "manage_sources lineage needs name", hint: "the source whose parents to show")
    }
    let view = try await call.withProject { project in try project.sources.lineage(of: name) }
    let parents = view.parentSources.count + view.parentRuns.count
    return ToolOutput(
      try MCPValue.encode(view),
      text: "\(name): \(parents) parents" + (view.source.stageRunID.map { ", made by \($0)" } ?? ""))
  }

  static let promote = MCPTool(
    name: "promote_artifact",
    description:
      "Register an output of a run that succeeded as a source other runs can read, by reference (no copy); its lineage (the sources and runs the run read) is recorded with it.",
    parameters: [
      .string("job_id", "The stage run id (stage-…) whose output to promote (upstream's name).", required: true),
      .string("output_name", "The run's output to promote.", required: true),
      .string("source_name", "The new source's name (letters, digits, - and _).", required: true),
      WorkspaceTools.reason,
      // Needed, as upstream; checked by the handler so a missing one gets the metadata hint.
      .object(
        "metadata",
        "Needed: source metadata (schema_version 1: description, source {format, size_bytes, created_at}, schema)."),
      .string("description", "What the data is; must equal metadata.description when given."),
      .string("format", "npy, npz, csv or file; must equal metadata.source.format when given."),
      .integer(
        "size_bytes", "Must equal metadata.source.size_bytes when given.", minimum: 1, maximum: 1 << 50),
    ],
    output: ["success": S.boolean, "source": sourceSchema, "lineage": lineageSchema, "state_md": S.string],
    annotations: .init(destructiveHint: false, idempotentHint: false, openWorldHint: false)
  ) { call in
    let runID = try call.required("job_id")
    let output = try call.required("output_name")
    let sourceName = try call.required("source_name")
    let why = try call.required("reason")
    guard let metadata = call.arguments["metadata"].map(MCPValue.json) else {
      throw GoldfishError(.invalidArgument, "promote_artifact needs metadata", hint: "schema_version 1 metadata")
    }
    let (record, lineage, state) = try await call.withProject { project in
      let (record, lineage) = try project.sources.promote(
        .init(
          runID: runID, outputName: output, sourceName: sourceName, reason: why, metadata: metadata,
          description: call.string("description"), format: call.string("format"),
          sizeBytes: call.int("size_bytes").map(Int64.init)))
      return (record, lineage, WorkspaceTools.stateMD(project, limit: 3000))
    }
    return ToolOutput(
      [
        "success": true, "source": sourceValue(record), "lineage": try MCPValue.encode(lineage),
        "state_md": .string(state),
      ],
      text: "Promoted \(output) of \(runID) as \(record.name) → \(record.uri)")
  }

  static let lineage = MCPTool(
    name: "lineage",
    description:
      "Where a run's inputs came from (datasets and upstream runs, recursively) and what it produced (signals with their locations, sizes and hashes).",
    parameters: [.string("run_id", "A stage run id (stage-…).", required: true)],
    output: [
      "run": S.string, "stage": S.string, "workspace": S.string, "version": S.string, "state": S.string,
      "reused_from": S.nullable(S.string), "inputs": S.array(S.anyObject), "outputs": S.array(S.anyObject),
      "downstream": S.array(S.anyObject),
    ],
    annotations: .init(readOnlyHint: true)
  ) { call in
    let runID = try call.required("run_id")
    let graph = try await call.withProject { project in
      try RunQueries(services: try ExecutionServices.open(project)).lineage(runID)
    }
    let inputs = graph["inputs"]?.arrayValue?.count ?? 0
    let outputs = graph["outputs"]?.arrayValue?.count ?? 0
    return ToolOutput(try MCPValue.encode(graph), text: "\(runID): \(inputs) inputs, \(outputs) outputs")
  }

  /// A source as Host's `SourceView` shows it (the CLI's `source list --json` too).
  static func sourceValue(_ record: SourceRecord) -> Value {
    (try? MCPValue.encode(SourceView(record))) ?? .null
  }
}
