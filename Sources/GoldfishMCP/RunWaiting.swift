import Foundation
import Host
import MCP

/// Long-polling a run (a stage run `stage-…` or a pipeline run `prun-…`) from the store, which
/// the detached driver updates: the server never drives runs itself, so runs survive it.
enum RunWaiting {
  typealias Snapshot = RunStatusView

  static func snapshot(_ project: Project, _ runID: String) throws(GoldfishError) -> Snapshot {
    try RunStatusView.current(runID, in: project.store)
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
      // A stage awaiting finalization has ended: waiting on it would never see it move.
      let ended = Double(current.stageRuns.filter(\.state.isSettled).count)
      if ended > lastReported {
        lastReported = ended
        let running = current.stageRuns.filter { !$0.state.isSettled }.map(\.stage)
        await call.progress(
          ended, Double(current.stageRuns.count),
          current.finished ? "\(runID) \(current.status)" : "running: \(running.joined(separator: ", "))")
      }
      let elapsed = Date().timeIntervalSince(started)
      if current.finished || elapsed >= timeout { return (current, elapsed) }
      try await Task.sleep(nanoseconds: UInt64(min(0.5, max(0.05, timeout - elapsed)) * 1_000_000_000))
    }
  }

  static func value(_ snapshot: Snapshot, elapsed: Double) throws(GoldfishError) -> Value {
    var view = snapshot
    view.elapsedSeconds = elapsed
    return try MCPValue.encode(view)
  }

  /// A stage run as Host's `StageRunView` shows it (the CLI's `runs --json` too).
  static func stageRunValue(_ run: StageRunRecord) -> Value {
    (try? MCPValue.encode(StageRunView(run))) ?? .null
  }

  static let stageRunSchema: Value = JSONSchema.object([
    "stage_run_id": JSONSchema.string, "pipeline_run_id": JSONSchema.nullable(JSONSchema.string),
    "workspace": JSONSchema.string, "stage": JSONSchema.string, "state": JSONSchema.string,
    "version": JSONSchema.string, "error": JSONSchema.nullable(JSONSchema.string),
  ])
}
