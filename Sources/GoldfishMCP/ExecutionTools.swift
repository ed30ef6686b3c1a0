import Foundation
import Host
import MCP
import PluginKit

/// Execution tools: run, wait, inspect_run, logs, cancel, list_runs.
enum ExecutionTools {
  typealias S = JSONSchema

  static var all: [MCPTool] { [run, wait, inspect, logs, cancel, listRuns] }

  static let waitLimit = 1800

  static let run = MCPTool(
    name: "run",
    description: """
      Version a workspace's files, then run stages of its pipeline (all by default, as a DAG). Returns the run ids at once; \
      the run goes on in the background (follow it with wait, logs, inspect_run). wait: true waits up to wait_timeout_seconds. \
      dry_run: true only validates the pipeline.
      """,
    parameters: [
      .string("workspace", "A slot (w1) or a mounted workspace.", required: true),
      .strings("stages", "Stages to run (default: the whole pipeline)."),
      .string("pipeline", "A named pipeline (pipelines/NAME.yaml; default pipeline.yaml)."),
      .object(
        "config_override",
        "Stage config values for this run: {\"train\": {\"epochs\": 3}}, or dotted keys {\"train.epochs\": 3}; keys not starting with a stage name apply to every stage (e.g. {\"compute.profile\": \"cpu-small\"})."
      ),
      ToolParameter(
        name: "reason", kind: .stringOrObject,
        description:
          "Why you run it (at least 15 characters), or {description, hypothesis, approach, min_result, goal}."),
      .boolean("wait", "Wait for the run to end (bounded by wait_timeout_seconds)."),
      .integer(
        "wait_timeout_seconds", "How long wait: true waits (default 300, at most 1800).", minimum: 1, maximum: waitLimit
      ),
      .boolean("dry_run", "Only validate the pipeline and report what would run."),
      .boolean("rerun", "Run every stage even when an unchanged earlier run could be reused."),
      .object(
        "results_spec",
        "What the run is judged by: {primary_metric, direction (maximize|minimize), min_value, goal_value, dataset_split (train|val|test|other), tolerance, context} and optionally secondary_metrics, baseline_run, failure_threshold, known_caveats. Required unless dry_run (or the project sets audit.require_results_spec: false)."
      ),
      .string("experiment_group", "A label grouping related runs (list_history filters by it)."),
      .object(
        "inputs_override",
        "Where inputs come from instead of the pipeline's wiring: {stage: {input: ref}} (a flat {input: ref} when one stage runs); ref is a stage-… run id (its output named like the input, or its only output), {\"from_run\": id, \"signal\": name}, a registered source name, or an absolute path or URI."
      ),
      .boolean(
        "skip_review",
        "Skip the pre-run reviewer command (pre_run_review.command in goldfish.yaml) for this run; the skip is recorded on each stage run. The deterministic preflight always runs."
      ),
    ],
    output: [
      "pipeline_run_id": S.nullable(S.string), "workspace": S.string, "version": S.string, "stages_queued": S.strings,
      "status": S.string, "queued": S.array(S.anyObject), "finished": S.boolean,
      "stage_runs": S.array(RunWaiting.stageRunSchema),
      "valid": S.boolean, "stages_to_run": S.strings, "validation_errors": S.array(S.anyObject),
      "warnings": S.array(S.anyObject), "notes": S.strings, "experiment_group": S.nullable(S.string),
    ],
    annotations: .init(destructiveHint: false, idempotentHint: false, openWorldHint: true)
  ) { call in
    let target = try call.required("workspace")
    let stages = call.strings("stages") ?? []
    let pipeline = call.string("pipeline")
    let overrides = try flattenOverrides(call.object("config_override") ?? [:])
    let specValue = call.arguments["results_spec"].map(MCPValue.json)
    let inputsOverride = call.arguments["inputs_override"].map(MCPValue.json)
    let skipReview = call.bool("skip_review") ?? false
    let notes: [Value] = []
    if call.bool("dry_run") == true {
      var output = try await call.withProject { project in
        try dryRun(
          project, target: target, stages: stages, pipeline: pipeline, resultsSpec: specValue,
          configOverrides: overrides)
      }
      if !notes.isEmpty, case .object(var fields) = output.structured {
        fields["notes"] = .array(notes)
        output.structured = .object(fields)
      }
      return output
    }
    let reason = try runReason(call.arguments["reason"])
    let rerun = call.bool("rerun") ?? false
    let group = call.string("experiment_group")
    let started = try await call.withProject { project in
      let spec = try specValue.map { value throws(GoldfishError) in
        try ResultsSpec(value, minimumTextLength: project.settings.minReasonLength)
      }
      let started = try Executor(services: try ExecutionServices.open(project)).start(
        RunRequest(
          target: target, stages: stages, pipeline: pipeline, configOverrides: overrides, reason: reason, rerun: rerun,
          resultsSpec: spec, experimentGroup: group, inputsOverride: inputsOverride, enforceDiscipline: true,
          skipReview: skipReview))
      // Detached like the CLI's: the run outlives this server and any client disconnect.
      try DriverLauncher.spawn(project: project, pipelineRunID: started.pipelineRunID)
      return started
    }
    guard case .object(var result) = try MCPValue.encode(RunStartedView(started, experimentGroup: group)) else {
      throw GoldfishError(.internalError, "the started run did not encode as an object")
    }
    if !notes.isEmpty { result["notes"] = .array(notes) }
    guard call.bool("wait") == true else {
      return ToolOutput(
        .object(result),
        text:
          "Started \(started.pipelineRunID) on \(started.workspace) \(started.version). Follow it with wait(run_id: \"\(started.pipelineRunID)\")."
      )
    }
    let timeout = Double(call.int("wait_timeout_seconds") ?? 300)
    let (snapshot, _) = try await RunWaiting.wait(call, runID: started.pipelineRunID, timeout: timeout)
    result["status"] = .string(snapshot.finished ? snapshot.status : "running")
    result["finished"] = .bool(snapshot.finished)
    result["stage_runs"] = .array(snapshot.stageRuns.map(RunWaiting.stageRunValue))
    if let error = snapshot.error { result["error"] = .string(error) }
    return ToolOutput(
      .object(result),
      text: snapshot.finished
        ? "\(started.pipelineRunID) \(snapshot.status)" + (snapshot.error.map { ": \($0)" } ?? "")
        : "\(started.pipelineRunID) still running after \(Int(timeout)) s; call wait again")
  }

  static let wait = MCPTool(
    name: "wait",
    description:
      "Wait until a run (stage-… or prun-…) ends or timeout_seconds pass, then report its state. Sends progress notifications when the client asks for them; call again if it is still running.",
    parameters: [
      .string("run_id", "A stage run id (stage-…) or a pipeline run id (prun-…).", required: true),
      .integer("timeout_seconds", "The longest to wait (default 60, at most 1800).", minimum: 0, maximum: waitLimit),
    ],
    output: [
      "run_id": S.string, "finished": S.boolean, "status": S.string, "error": S.nullable(S.string),
      "elapsed_seconds": S.number, "stage_runs": S.array(RunWaiting.stageRunSchema),
    ],
    annotations: .init(readOnlyHint: true)
  ) { call in
    let runID = try call.required("run_id")
    let (snapshot, elapsed) = try await RunWaiting.wait(
      call, runID: runID, timeout: Double(call.int("timeout_seconds") ?? 60))
    return ToolOutput(
      try RunWaiting.value(snapshot, elapsed: elapsed),
      text: snapshot.finished
        ? "\(runID) \(snapshot.status)" + (snapshot.error.map { ": \($0)" } ?? "")
        : "\(runID) still \(snapshot.status); call wait again")
  }

  static let inspect = MCPTool(
    name: "inspect_run",
    description:
      "One stage run, with the parts `include` names (default dashboard, metadata, thoughts): dashboard (state, metrics with last/min/max/count/trend, sync status, data age; live while the run runs), metadata (state and history, config, inputs and outputs, latest metrics, error), manifest, provenance, svs, thoughts, attempt.",
    parameters: [
      .string("run_id", "A stage run id (stage-…).", required: true),
      .strings(
        "include",
        "Parts to return, any of: " + RunInspectPart.allCases.map(\.rawValue).joined(separator: ", ")
          + " (default dashboard, metadata, thoughts)."),
    ],
    output: [
      "run_id": S.string, "workspace": S.string, "stage": S.string, "state": S.string, "version": S.string,
      "reason": S.string, "started_at": S.string, "completed_at": S.nullable(S.string), "error": S.nullable(S.string),
      "metrics": S.anyObject, "inputs": S.array(S.anyObject), "outputs": S.array(S.anyObject),
      "transitions": S.array(S.anyObject), "config": S.anyValue, "run": S.anyObject,
      "reused_from": S.nullable(S.string), "reused": S.nullable(S.string), "dashboard": S.anyObject,
      "manifest": S.anyObject, "provenance": S.anyObject, "svs": S.anyValue,
      "thoughts": S.array(S.anyObject), "attempt_context": S.string, "pattern_matches": S.array(S.anyObject),
    ],
    annotations: .init(readOnlyHint: true)
  ) { call in
    let runID = try call.required("run_id")
    if runID.hasPrefix("prun-") {
      throw GoldfishError(
        .invalidArgument, "inspect_run takes a stage run id", hint: "wait(run_id: \"\(runID)\") lists its stage runs")
    }
    let include = call.strings("include")
    return try await call.withServices { services in
      let project = services.project
      let inspection = try RunQueries(services: services).inspect(runID, include: include)
      let details = inspection.details
      let run = details.run
      var output = try ToolOutput(
        encoding: inspection,
        text: "\(run.id) \(run.stage) \(run.workspace)@v\(run.version): \(run.state.rawValue)"
          + (details.reused.map { " (\($0))" } ?? ""))
      // Approved failure patterns this run matched (manage_patterns), named wherever it is inspected.
      let matches = try project.store.patternMatches(ofStageRun: run.id)
      if !matches.isEmpty, case .object(var fields) = output.structured {
        fields["pattern_matches"] = try MCPValue.encode(matches)
        output.structured = .object(fields)
        output.text += "; matches failure patterns " + matches.map(\.patternID).joined(separator: ", ")
      }
      return output
    }
  }

  static let logs = MCPTool(
    name: "logs",
    description:
      "A run's output: the last `tail` lines (default 200), or from byte `offset` on (pass the returned next_offset to read on). `since` keeps lines stamped at or after an ISO time; `follow` returns only what is new since your previous follow call.",
    parameters: [
      .string("run_id", "A stage run id (stage-…).", required: true),
      .integer("tail", "Only the last N lines (default 200).", minimum: 1, maximum: 10_000),
      .integer(
        "offset", "Read from this byte offset instead of the tail.", minimum: 0, maximum: ToolParameter.byteOffsetLimit),
      .string("since", "ISO-8601 time: keep lines whose leading timestamp is at or after it."),
      .boolean(
        "follow", "Return what is new since the previous follow call of this server (the first returns the tail)."),
    ],
    output: [
      "run_id": S.string, "state": S.string, "logs": S.string, "next_offset": S.integer, "complete": S.boolean,
      "truncated": S.boolean, "log_uri": S.nullable(S.string), "cursor_position": S.integer,
      "has_new_content": S.boolean, "reused_from": S.nullable(S.string),
    ],
    annotations: .init(readOnlyHint: true)
  ) { call in
    let runID = try call.required("run_id")
    let follow = call.bool("follow") ?? false
    let cursor = follow ? LogCursors.shared.position(runID) : nil
    let offset = call.int("offset").map(Int64.init) ?? cursor
    let tail = offset == nil ? (call.int("tail") ?? 200) : nil
    let since = call.string("since")
    return try await call.withServices { services in
      let queries = RunQueries(services: services)
      let run = try queries.run(runID)
      let chunk = try queries.logs(runID, offset: offset ?? 0, tail: tail)
      var text = chunk.text
      if let since { text = LogFilter.lines(text, since: since) }
      if follow { LogCursors.shared.set(runID, chunk.complete ? nil : chunk.nextOffset) }
      let logURI = try? services.storageClient.uriFor(key: RunLayout.logKey(runID))
      let limit = 100_000
      return ToolOutput(
        [
          "run_id": .string(runID), "state": .string(run.state.rawValue),
          "logs": .string(MCPValue.truncated(text, limit: limit)),
          "next_offset": .int(Int(chunk.nextOffset)), "complete": .bool(chunk.complete),
          "truncated": .bool(text.count > limit),
          "log_uri": logURI.map { .string($0) } ?? .null, "cursor_position": .int(Int(chunk.nextOffset)),
          "has_new_content": .bool(!chunk.text.isEmpty),
          "reused_from": run.reusedFrom.map { .string($0) } ?? .null,
        ],
        text: "\(runID) (\(run.state.rawValue)): \(text.split(separator: "\n").count) lines"
          + (run.reusedFrom.map { "; reused from \($0), whose log this is" } ?? ""))
    }
  }

  static let cancel = MCPTool(
    name: "cancel",
    description: "Cancel a stage run, or every unfinished stage of a pipeline run (prun-…).",
    parameters: [.string("run_id", "A stage run id or a pipeline run id.", required: true), WorkspaceTools.reason],
    output: [
      "success": S.boolean, "canceled": S.strings, "previous_status": S.nullable(S.string),
      "error": S.nullable(S.string),
    ],
    annotations: .init(destructiveHint: true, idempotentHint: true, openWorldHint: true)
  ) { call in
    let runID = try call.required("run_id")
    let why = try call.required("reason")
    return try await call.withProject { project in
      let previous = try RunWaiting.snapshot(project, runID).status
      let canceled = try Executor(services: try ExecutionServices.open(project)).cancel(runID, reason: why)
      let error: Value = canceled.isEmpty ? "Run is not running (already ended)" : .null
      return ToolOutput(
        [
          "success": .bool(!canceled.isEmpty), "canceled": .array(canceled.map(Value.string)),
          "previous_status": .string(previous), "error": error,
        ],
        text: canceled.isEmpty
          ? "Nothing to cancel: \(runID) already ended" : "Canceled \(canceled.joined(separator: ", "))")
    }
  }

  static let listRuns = MCPTool(
    name: "list_runs",
    description: "Recent stage runs, newest first, optionally of one workspace, one stage or in one state.",
    parameters: [
      .string("workspace", "Only this workspace (or the one in this slot)."),
      .string("stage", "Only this stage."),
      .string("state", "Only runs in this state.", choices: StageRunState.allCases.map(\.rawValue)),
      .integer("limit", "How many (default 20, at most 200).", minimum: 1, maximum: 200),
    ],
    output: ["runs": S.array(RunWaiting.stageRunSchema), "total": S.integer],
    annotations: .init(readOnlyHint: true)
  ) { call in
    let workspace = call.string("workspace")
    let stage = call.string("stage")
    let states = call.string("state").flatMap(StageRunState.init(rawValue:)).map { [$0] }
    let limit = call.int("limit") ?? 20
    let runs = try await call.withProject { project in
      try project.store.stageRuns(
        workspace: try workspace.map { name throws(GoldfishError) in try WorkspaceTools.resolveWorkspace(project, name)
        },
        stage: stage, states: states, limit: limit)
    }
    return ToolOutput(
      ["runs": .array(runs.map(RunWaiting.stageRunValue)), "total": .int(runs.count)], text: "\(runs.count) runs")
  }
}
