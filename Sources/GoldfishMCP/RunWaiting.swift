import Foundation
import Host
import MCP

/// Long-polling a run (a stage run `stage-…` or a pipeline run `prun-…`) from the store, which
/// the detached driver updates: the server never drives runs itself, so runs survive it.
enum RunWaiting {
  struct Snapshot: Sendable {
    var runID: String
    var finished: Bool
    var status: String
    var error: String?
    var stageRuns: [StageRunRecord]
  }

  static func snapshot(_ project: Project, _ runID: String) throws(GoldfishError) -> Snapshot {
    if runID.hasPrefix("prun-") {
      guard let pipeline = try project.store.pipelineRun(runID) else {
        throw GoldfishError(
          .notFound, "no pipeline run \(RunIdentifiers.display(runID))", hint: "list_runs shows recent runs")
      }
      let stages = try project.store.stageRuns(ofPipelineRun: runID)
      return Snapshot(
        runID: runID, finished: pipeline.status != "running", status: pipeline.status, error: pipeline.error,
        stageRuns: stages)
    }
    guard let run = try project.store.stageRun(runID) else {
      throw GoldfishError(.notFound, "no run \(RunIdentifiers.display(runID))", hint: "list_runs shows recent runs")
    }
    return Snapshot(
      runID: runID, finished: run.state.isTerminal, status: run.state.rawValue, error: run.error, stageRuns: [run])
  }

  /// Polls until the run ends, `timeout` passes or the client cancels the request (the SDK
  /// cancels this task, and `Task.sleep` throws). Progress is the number of stages that ended.
  static func wait(_ call: ToolCall, runID: String, timeout: Double) async throws -> (Snapshot, Double) {
    let started = Date()
    var lastReported = -1.0
    while true {
      // A wait outlasts the sweep interval: a driver that died meanwhile is restarted (or its
      // run given up with the error that stopped it) while the agent waits, not at its next call.
      ResumeSweep.shared.maybeResume(call.context)
      let current = try await call.withProject { project in try snapshot(project, runID) }
      let ended = Double(current.stageRuns.filter(\.state.isTerminal).count)
      if ended > lastReported {
        lastReported = ended
        let running = current.stageRuns.filter { !$0.state.isTerminal }.map(\.stage)
        await call.progress(
          ended, Double(current.stageRuns.count),
          current.finished ? "\(runID) \(current.status)" : "running: \(running.joined(separator: ", "))")
      }
      let elapsed = Date().timeIntervalSince(started)
      if current.finished || elapsed >= timeout { return (current, elapsed) }
      try await Task.sleep(nanoseconds: UInt64(min(0.5, max(0.05, timeout - elapsed)) * 1_000_000_000))
    }
  }

  static func value(_ snapshot: Snapshot, elapsed: Double) -> Value {
    [
      "run_id": .string(snapshot.runID), "finished": .bool(snapshot.finished), "status": .string(snapshot.status),
      "error": snapshot.error.map(Value.string) ?? .null, "elapsed_seconds": .double((elapsed * 10).rounded() / 10),
      "stage_runs": .array(snapshot.stageRuns.map(stageRunValue)),
    ]
  }

  /// A stage run as upstream's StageRunInfo names its fields (those that exist here).
  static func stageRunValue(_ run: StageRunRecord) -> Value {
    [
      "stage_run_id": .string(run.id), "pipeline_run_id": run.pipelineRunID.map(Value.string) ?? .null,
      "workspace": .string(run.workspace), "pipeline": .string(run.pipeline), "version": .string("v\(run.version)"),
      "stage": .string(run.stage), "state": .string(run.state.rawValue), "started_at": .string(run.createdAt),
      "completed_at": run.finishedAt.map(Value.string) ?? .null, "profile": run.profile.map(Value.string) ?? .null,
      "exit_code": run.exitCode.map(Value.int) ?? .null, "error": run.error.map(Value.string) ?? .null,
      "reused_from": run.reusedFrom.map(Value.string) ?? .null, "reason": .string(run.reason),
      "unsandboxed": run.unsandboxed.map(Value.string) ?? .null,
    ]
  }

  static let stageRunSchema: Value = JSONSchema.object([
    "stage_run_id": JSONSchema.string, "pipeline_run_id": JSONSchema.nullable(JSONSchema.string),
    "workspace": JSONSchema.string, "stage": JSONSchema.string, "state": JSONSchema.string,
    "version": JSONSchema.string, "error": JSONSchema.nullable(JSONSchema.string),
  ])
}
