import Foundation
import Host
import MCP
import PluginKit

/// Journal and utility tools: log_thought, validate_pipeline, get_config, list_plugins, goldfish_version.
enum UtilityTools {
  typealias S = JSONSchema

  static var all: [MCPTool] { [logThought, validatePipeline, getConfig, listPlugins, version] }

  static let logThought = MCPTool(
    name: "log_thought",
    description:
      "Write a note into STATE.md (what you learned, what you plan) for whoever picks the project up next, you included after a lost context.",
    parameters: [
      .string("thought", "The note (at least audit.min_reason_length characters, 15 by default).", required: true),
      .string("workspace", "The workspace (or slot) it is about."),
      .string("run_id", "The run it is about."),
    ],
    output: [
      "logged": S.boolean, "thought": S.string, "timestamp": S.string, "workspace": S.nullable(S.string),
      "run_id": S.nullable(S.string),
    ],
    annotations: .init(destructiveHint: false, idempotentHint: false, openWorldHint: false)
  ) { call in
    let thought = try call.required("thought")
    let runID = call.string("run_id")
    let workspaceArgument = call.string("workspace")
    let workspace = try await call.withProject { project in
      let workspace = try workspaceArgument.map { name throws(GoldfishError) in
        try WorkspaceTools.resolveWorkspace(project, name)
      }
      if let runID, try project.store.stageRun(runID) == nil, try project.store.pipelineRun(runID) == nil {
        throw GoldfishError(.notFound, "no run \(RunIdentifiers.display(runID))", hint: "list_runs shows recent runs")
      }
      try project.journal.thought(thought, workspace: workspace, runID: runID)
      return workspace
    }
    return ToolOutput(
      [
        "logged": true, "thought": .string(thought), "timestamp": .string(ISO8601DateFormatter().string(from: Date())),
        "workspace": workspace.map(Value.string) ?? .null, "run_id": runID.map(Value.string) ?? .null,
      ],
      text: "Noted.")
  }

  static let validatePipeline = MCPTool(
    name: "validate_pipeline",
    description:
      "Check a slot's pipeline.yaml (or pipelines/NAME.yaml) and stage configs: every problem with its file and line, before anything runs.",
    parameters: [
      .string("workspace", "A slot (w1) or a mounted workspace.", required: true),
      .string("pipeline", "A named pipeline (pipelines/NAME.yaml)."),
    ],
    output: [
      "valid": S.boolean, "errors": S.array(S.anyObject), "warnings": S.array(S.anyObject), "stages": S.strings,
    ],
    annotations: .init(readOnlyHint: true)
  ) { call in
    let target = try call.required("workspace")
    let pipeline = call.string("pipeline")
    let dry = try await call.withProject { project in
      try ExecutionTools.dryRun(project, target: target, stages: [], pipeline: pipeline)
    }
    let fields = dry.structured.objectValue ?? [:]
    return ToolOutput(
      [
        "valid": fields["valid"] ?? false, "errors": fields["validation_errors"] ?? [],
        "warnings": fields["warnings"] ?? [],
        "stages": fields["stages_to_run"] ?? [],
      ],
      text: dry.text)
  }

  static let getConfig = MCPTool(
    name: "get_config",
    description:
      "The effective project config: goldfish.yaml with every default filled in (backend, storage, profiles, slots…).",
    parameters: [],
    output: ["config": S.anyObject],
    annotations: .init(readOnlyHint: true)
  ) { call in
    let config = try await call.withProject { project in project.effectiveConfigJSON() }
    return ToolOutput(["config": try MCPValue.encode(config)], text: "The effective goldfish.yaml")
  }

  static let listPlugins = MCPTool(
    name: "list_plugins",
    description:
      "Every backend plugin loaded (run backends, object storage, image builders) with its services and capabilities, and every plugin file refused with why.",
    parameters: [],
    output: [
      "abi_version": S.string, "goldfish_version": S.string, "plugins": S.array(S.anyObject),
      "refused": S.array(S.anyObject),
    ],
    annotations: .init(readOnlyHint: true)
  ) { call in
    let registry = try await call.withProject { project in project.plugins.registry }
    return ToolOutput(
      [
        "abi_version": .string("\(PluginABIVersion.major).\(PluginABIVersion.minor)"),
        "goldfish_version": .string(GoldfishVersion.current), "plugins": try MCPValue.encode(registry.plugins),
        "refused": try MCPValue.encode(registry.refused),
      ],
      text: "\(registry.plugins.count) plugins loaded, \(registry.refused.count) refused")
  }

  static let version = MCPTool(
    name: "goldfish_version",
    description: "The Goldfish version serving this project.",
    parameters: [],
    output: ["version": S.string],
    annotations: .init(readOnlyHint: true)
  ) { _ in
    ToolOutput(["version": .string(GoldfishVersion.current)], text: "goldfish \(GoldfishVersion.current)")
  }
}
