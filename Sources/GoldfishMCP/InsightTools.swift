import Foundation
import Host
import MCP
import PluginKit

/// Upstream's reading and setup tools whose capabilities exist here: get_lineage,
/// get_workspace_thoughts, dashboard, get_debug_info, validate_config, reload_config,
/// initialize_project.
enum InsightTools {
  typealias S = JSONSchema

  static var all: [MCPTool] {
    [getLineage, workspaceThoughts, dashboard, debugInfo, validateConfig, reloadConfig, initializeProject]
  }

  static let getLineage = MCPTool(
    name: "get_lineage",
    description:
      "The runs a run fed (downstream: who consumed its outputs, directly or through a source made from them) or was fed by (upstream: who produced its inputs, including the run a dataset it read was made from).",
    parameters: [
      .string("run_id", "A stage run id (stage-…).", required: true),
      .string("direction", "downstream (default) or upstream.", choices: ["downstream", "upstream"]),
    ],
    output: [
      "run_id": S.string, "direction": S.string, "consumers": S.array(S.anyObject), "producers": S.array(S.anyObject),
      "sources": S.array(S.anyObject),
    ],
    annotations: .init(readOnlyHint: true)
  ) { call in
    let runID = try call.required("run_id")
    let direction = call.string("direction") ?? "downstream"
    let (links, made) = try await call.withProject { project throws -> ([Value], [Value]) in
      let store = project.store
      guard try store.stageRun(runID) != nil else {
        throw GoldfishError(.notFound, "no run \(RunIdentifiers.display(runID))", hint: "list_runs shows recent runs")
      }
      let walk = RunLinks(store: store)
      let neighbours = direction == "upstream" ? try walk.producers(of: runID) : try walk.consumers(of: runID)
      let links = try neighbours.compactMap { link throws -> Value? in
        guard let run = try store.stageRun(link.runID) else { return nil }
        return [
          "run_id": .string(run.id), "stage": .string(run.stage), "workspace": .string(run.workspace),
          "reason": .string(run.reason),
          direction == "upstream" ? "signal_produced" : "signal_consumed": .string(link.signal),
          "via_source": link.viaSource.map(Value.string) ?? .null,
          "outcome": .string(run.state.rawValue), "created_at": .string(run.createdAt),
        ]
      }
      let made: [Value] =
        direction == "upstream"
        ? []
        : try walk.madeSources(of: runID).map { source in
          [
            "name": .string(source.name), "output_name": source.outputName.map(Value.string) ?? .null,
            "status": .string(source.status), "created_by": .string(source.createdBy),
          ]
        }
      return (links, made)
    }
    let key = direction == "upstream" ? "producers" : "consumers"
    var answer: [String: Value] = ["run_id": .string(runID), "direction": .string(direction), key: .array(links)]
    if direction != "upstream" { answer["sources"] = .array(made) }
    return ToolOutput(
      .object(answer),
      text: "\(runID): \(links.count) \(key)" + (made.isEmpty ? "" : ", \(made.count) sources made from it"))
  }

  static let workspaceThoughts = MCPTool(
    name: "get_workspace_thoughts",
    description: "The notes logged about a workspace (log_thought), newest first.",
    parameters: [
      .string("workspace", "A workspace or a slot holding one.", required: true),
      .integer("limit", "How many (default 50).", minimum: 1, maximum: 500),
      .integer("offset", "How many to skip.", minimum: 0, maximum: ToolParameter.offsetLimit),
    ],
    output: ["workspace": S.string, "thoughts": S.array(S.anyObject), "total": S.integer],
    annotations: .init(readOnlyHint: true)
  ) { call in
    let target = try call.required("workspace")
    let limit = call.int("limit") ?? 50
    let offset = call.int("offset") ?? 0
    let (workspace, thoughts, total) = try await call.withProject { project throws -> (String, [Value], Int) in
      let workspace = try WorkspaceTools.resolveWorkspace(project, target)
      guard try project.store.workspace(workspace) != nil else {
        throw GoldfishError(.notFound, "no workspace \(workspace)", hint: "list_workspaces shows them")
      }
      let (page, total) = try project.store.thoughts(workspace: workspace, limit: limit, offset: offset)
      let entries: [Value] = page.map {
        [
          "timestamp": .string($0.timestamp), "thought": .string($0.text),
          "run_id": $0.runID.map(Value.string) ?? .null,
        ]
      }
      return (workspace, entries, total)
    }
    return ToolOutput(
      ["workspace": .string(workspace), "thoughts": .array(thoughts), "total": .int(total)],
      text: "\(workspace): \(thoughts.count) of \(total) thoughts")
  }

  /// Reviews that found something and no face has shown yet; each is shown once, as upstream.
  static func newReviewAlerts(_ store: ProjectStore, now: Date) throws -> [Value] {
    let reviews = try store.unnotifiedReviews(limit: 50)
    try store.markReviewsNotified(reviews.compactMap(\.id))
    return try reviews.filter { ![.approved, .skipped].contains($0.decision) }.prefix(10).map { review in
      let run = try store.stageRun(review.stageRunID)
      return [
        "run_id": .string(review.stageRunID), "workspace": run.map { .string($0.workspace) } ?? .null,
        "stage": run.map { .string($0.stage) } ?? .null, "review_type": .string(review.kind.rawValue),
        "decision": .string(review.decision.rawValue), "findings_count": .int(review.findings.count),
        "age": .string(ExperimentContext.age(of: review.reviewedAt, now: now)),
      ]
    }
  }

  static let dashboard = MCPTool(
    name: "dashboard",
    description:
      "What needs attention: recent failures, new SVS reviews that found something (each shown once), what is running, runs awaiting finalization per workspace, the last outcomes, mounted workspaces and whether they have unsaved changes.",
    parameters: [],
    output: [
      "alerts": S.anyObject, "active": S.anyObject, "blocks": StatusTool.blocksSchema, "workspaces": S.anyObject,
      "source_count": S.integer, "recent_outcomes": S.array(S.anyObject),
    ],
    annotations: .init(readOnlyHint: true)
  ) { call in
    let board = try await call.withProject { project throws -> Value in
      let store = project.store
      let outcomes = try RunOutcomes(store: store)
      let now = Date()
      let running: [Value] = try store.stageRuns(states: RunOutcomes.workingStates, limit: 20).map { run in
        [
          "run_id": .string(run.id), "workspace": .string(run.workspace), "stage": .string(run.stage),
          "reason": .string(run.reason), "state": .string(run.state.rawValue),
          "elapsed": .string(ExperimentContext.age(of: run.createdAt, now: now)),
        ]
      }
      let slots = try project.workspaces.slots()
      let goals = Dictionary(uniqueKeysWithValues: try store.workspaces().map { ($0.name, $0.goal) })
      let mounted: [Value] = slots.compactMap { slot in
        guard let name = slot.workspace else { return nil }
        return [
          "slot": .string(slot.slot), "name": .string(name), "goal": .string(String((goals[name] ?? "").prefix(80))),
          "dirty": .bool(slot.dirty ?? false),
        ]
      }
      return [
        "alerts": [
          "failed_recent": try MCPValue.encode(outcomes.failedRecent),
          "svs_reviews": .array(try newReviewAlerts(store, now: now)),
        ],
        "active": ["running": .array(running)],
        "blocks": try StatusTool.blocks(outcomes),
        "workspaces": ["mounted": .array(mounted), "unmounted_count": .int(goals.count - mounted.count)],
        "source_count": .int(try store.sources().count),
        "recent_outcomes": try MCPValue.encode(outcomes.recentOutcomes),
      ]
    }
    let running = board.objectValue?["active"]?.objectValue?["running"]?.arrayValue?.count ?? 0
    let failed = board.objectValue?["alerts"]?.objectValue?["failed_recent"]?.arrayValue?.count ?? 0
    let pending =
      board.objectValue?["blocks"]?.objectValue?["pending_finalization"]?.objectValue?["by_workspace"]?.objectValue?
      .values.compactMap { $0.objectValue?["count"]?.intValue }.reduce(0, +) ?? 0
    return ToolOutput(board, text: "\(running) running, \(pending) awaiting finalization, \(failed) recent failures")
  }

  static let debugInfo = MCPTool(
    name: "get_debug_info",
    description: "Where a run lives in the backend and storage: its backend handle, work folder and log location.",
    parameters: [
      .string("ref", "A stage run id (stage-…), a run's record id (ULID) or @tag.", required: true),
      .string("workspace", "The workspace (or slot) the run belongs to; needed for @tag."),
    ],
    output: [
      "record_id": S.nullable(S.string),
      "stage_run_id": S.string, "backend_type": S.nullable(S.string), "backend_handle": S.nullable(S.anyObject),
      "work_dir": S.nullable(S.string), "log_uri": S.nullable(S.string), "artifact_uri": S.nullable(S.string),
    ],
    annotations: .init(readOnlyHint: true)
  ) { call in
    let ref = try call.required("ref")
    let workspaceArgument = call.string("workspace")
    let info = try await call.withProject { project throws -> Value in
      let workspace = try workspaceArgument.map { name throws(GoldfishError) in
        try WorkspaceTools.resolveWorkspace(project, name)
      }
      let run = try debugRun(project, ref: ref, workspace: workspace)
      let storage = try ExecutionServices.open(project).storageClient
      let uri = { (key: String) -> Value in
        (try? storage.uriFor(key: key)).map { .string($0) } ?? .null
      }
      let handle = run.backendHandle.flatMap { try? JSONCoding.parse($0) }.flatMap { try? MCPValue.encode($0) }
      let record = try project.store.record(ofStageRun: run.id)
      return [
        "record_id": record.map { .string($0.id) } ?? .null,
        "stage_run_id": .string(run.id), "backend_type": run.backend.map { .string($0) } ?? .null,
        "backend_handle": handle ?? .null, "work_dir": run.workDir.map { .string($0) } ?? .null,
        "log_uri": uri(RunLayout.logKey(run.id)), "artifact_uri": uri(RunLayout.outputsKey(run.id)),
      ]
    }
    return ToolOutput(info, text: "\(ref): \(info.objectValue?["backend_type"]?.stringValue ?? "no backend yet")")
  }

  /// The stage run a debug ref names: a stage run id, a run record's ULID, or `@tag` of `workspace`;
  /// with `workspace`, the run must belong to it.
  static func debugRun(_ project: Project, ref: String, workspace: String?) throws(GoldfishError) -> StageRunRecord {
    let store = project.store
    var runID: String? = nil
    if ref.hasPrefix("@") {
      guard let workspace else {
        throw GoldfishError(.invalidArgument, "get_debug_info needs workspace to find \(ValueQuote.short(ref))")
      }
      let tag = String(ref.dropFirst())
      let recordID = try project.tags(of: workspace).first { $0.tag == tag }?.recordID
      runID = try recordID.flatMap { id throws(GoldfishError) in try store.record(id)?.stageRunID }
    } else if try store.stageRun(ref) != nil {
      runID = ref
    } else {
      runID = try store.record(ref)?.stageRunID
    }
    guard let runID, let run = try store.stageRun(runID) else {
      throw GoldfishError(
        .notFound, "no run \(ValueQuote.short(ref))",
        hint: "give a stage-… id, a run's record id or @tag with workspace")
    }
    if let workspace, run.workspace != workspace {
      throw GoldfishError(
        .notFound, "run \(run.id) belongs to workspace \(run.workspace), not \(workspace)",
        hint: "leave workspace out, or give \(run.workspace)")
    }
    return run
  }

  static let validateConfig = MCPTool(
    name: "validate_config",
    description:
      "Check goldfish.yaml (every problem with its line and a did-you-mean) and, given a mounted workspace, its pipeline and stage configs.",
    parameters: [.string("workspace", "A slot or a mounted workspace whose pipeline to check too.")],
    output: [
      "valid": S.boolean, "errors": S.array(S.anyObject), "warnings": S.array(S.anyObject), "files_checked": S.strings,
    ],
    annotations: .init(readOnlyHint: true)
  ) { call in
    let target = call.string("workspace")
    let context = call.context
    let result = try await Blocking.run { () throws -> Value in
      var found = try ProjectLocation.find(explicit: context.explicitProject, start: context.startDirectory)
      if found == nil { found = try context.adoptedLocation() }
      guard let location = found else {
        throw GoldfishError(.configNotFound, "no Goldfish project here", hint: "initialize_project creates one")
      }
      let document = try ConfigDocument.load(location.configPath)
      let registry = try PluginHost.start(project: location).registry
      let check = ConfigCheck.run(document, registry: registry)
      var errors: [Value] = check.problems.map {
        [
          "key": $0.key.map { .string($0) } ?? .null, "line": $0.line.map { .int($0) } ?? .null,
          "message": .string($0.message),
        ]
      }
      var warnings: [Value] = check.notes.map {
        ["key": .string($0.key), "line": $0.line.map { .int($0) } ?? .null, "message": .string($0.message)]
      }
      var files = ["goldfish.yaml"]
      if let target, errors.isEmpty {
        let project = try Project.open(location)
        let slot = try ExecutionTools.slot(of: target, in: project)
        let validator = project.pipelineValidator(directory: project.paths.slot(slot))
        for issue in validator.validate() {
          let entry: Value = [
            "file": .string(issue.file), "line": issue.line.map { .int($0) } ?? .null,
            "stage": issue.stage.map { .string($0) } ?? .null, "message": .string(issue.message),
          ]
          if issue.severity == .error { errors.append(entry) } else { warnings.append(entry) }
        }
        files.append("\(slot)/pipeline.yaml")
        let typos = StageConfigTypos.check(slotDir: project.paths.slot(slot))
        for finding in typos.findings {
          warnings.append(
            [
              "file": .string(finding.file), "key": .string(finding.key), "suggestion": .string(finding.suggestion),
              "message": .string(finding.message),
            ])
        }
        files += typos.files.map { "\(slot)/\($0)" }
      }
      return [
        "valid": .bool(errors.isEmpty), "errors": .array(errors), "warnings": .array(warnings),
        "files_checked": .array(files.map { .string($0) }),
      ]
    }
    let count = result.objectValue?["errors"]?.arrayValue?.count ?? 0
    return ToolOutput(result, text: count == 0 ? "valid" : "\(count) problems")
  }

  static let reloadConfig = MCPTool(
    name: "reload_config",
    description: "Re-read goldfish.yaml. Every tool call already reads it afresh; this reports what is now in effect.",
    parameters: [],
    output: [
      "success": S.boolean, "message": S.string, "project_name": S.string, "jobs_backend": S.string,
      "storage_backend": S.string, "gcs_configured": S.boolean, "gce_configured": S.boolean,
      "gce_project": S.nullable(S.string), "gce_artifact_registry": S.nullable(S.string),
    ],
    annotations: .init(readOnlyHint: true)
  ) { call in
    let (config, gce) = try await call.withProject { project in
      (project.config, project.plugins.document?.section("gce") ?? .null)
    }
    // The gce plugin names the project as project_id (or upstream's project); images have no
    // registry setting: the image builder plugin builds them (issue #15 adds registries).
    let gceProject = gce["project_id"]?.stringValue ?? gce["project"]?.stringValue
    return ToolOutput(
      [
        "success": true, "message": "goldfish.yaml is read on every call; this is what is in effect",
        "project_name": .string(config.projectName), "jobs_backend": .string(config.jobs.backend),
        "storage_backend": .string(config.storage.backend), "gcs_configured": .bool(config.gcs != nil),
        "gce_configured": .bool(config.gce != nil), "gce_project": gceProject.map(Value.string) ?? .null,
        "gce_artifact_registry": .null,
      ],
      text: "\(config.projectName): jobs on \(config.jobs.backend), storage \(config.storage.backend)")
  }

  static let initializeProject = MCPTool(
    name: "initialize_project",
    description:
      "Create a Goldfish project (goldfish.yaml, STATE.md, slots, its version store and database). Refuses an existing project without touching it.",
    parameters: [
      .string("project_name", "The project name.", required: true),
      .string("project_root", "Where to create it (an empty or new folder).", required: true),
      .string("from_existing", "A folder whose files become the project's initial files."),
    ],
    output: [
      "success": S.boolean, "message": S.string, "project_path": S.string, "dev_repo": S.string,
      "config_file": S.string, "state_file": S.string, "backend": S.string, "serving": S.boolean,
    ],
    annotations: .init(destructiveHint: false, idempotentHint: false, openWorldHint: false)
  ) { call in
    let name = try call.required("project_name")
    let root = try call.required("project_root")
    let from = call.string("from_existing")
    let context = call.context
    let (outcome, devRepo, serving) = try await Blocking.run {
      () throws -> (ProjectInitializer.Outcome, String?, Bool) in
      let plugins = try PluginHost.start(project: nil)
      let backends = Set(
        plugins.registry.plugins.flatMap(\.services).filter { $0.kind == "run_backend" && $0.implemented }.map(\.name))
      let outcome = try ProjectInitializer(name: name, path: root, from: from, availableBackends: backends).run()
      let devRepo = try ProjectLocation.find(explicit: outcome.root).map { try Project.open($0).paths.repository }
      // A server with no project of its own serves the new one from the next call on.
      let own = try? ProjectLocation.find(explicit: context.explicitProject, start: context.startDirectory)
      let adopt = own == nil && context.explicitProject == nil
      if adopt { context.adopted.adopt(outcome.root) }
      return (outcome, devRepo, adopt || own?.root == outcome.root)
    }
    return ToolOutput(
      [
        "success": true, "message": "created \(name); backend \(outcome.backend): \(outcome.backendReason)",
        "project_path": .string(outcome.root), "dev_repo": devRepo.map(Value.string) ?? .null,
        "config_file": .string(outcome.root + "/goldfish.yaml"),
        "state_file": .string(outcome.root + "/STATE.md"), "backend": .string(outcome.backend),
        "serving": .bool(serving),
      ],
      text: "Created \(name) in \(outcome.root)")
  }
}
