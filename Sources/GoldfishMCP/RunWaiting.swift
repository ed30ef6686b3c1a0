import Foundation
import Host
import MCP

/// Waiting on a run (a stage run `stage-…` or a pipeline run `prun-…`) in the store, which the
/// detached driver updates: the server never drives runs itself, so runs survive it.
enum RunWaiting {
  typealias Snapshot = RunStatusView

  static func snapshot(_ project: Project, _ runID: String) throws(GoldfishError) -> Snapshot {
    try RunStatusView.current(runID, in: project.store)
  }

  /// How long a wait sleeps when nothing wakes it: the safety net for what writes nothing to
  /// the database (a driver that died); every commit to it, by any process, wakes the waiter.
  static let safetyPoll = 2.0

  /// Waits until the run ends, `timeout` passes or the client cancels the request (the SDK
  /// cancels this task). Progress is the number of stages that ended. The run's state is read
  /// again the moment any process commits to the project database (the driver's last write
  /// ends the run), not on a timer.
  static func wait(_ call: ToolCall, runID: String, timeout: Double) async throws -> (Snapshot, Double) {
    let started = Date()
    var lastReported = -1.0
    let events = FolderWatch()
    // Watched before the first read: a change between the read and the wait still wakes it.
    events.watchDatabase(try await call.withProject { project in project.paths.database })
    let pause = events.isEventDriven ? safetyPoll : 0.5
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
      try Task.checkCancellation()
      await change(events, timeout: min(pause, max(0.01, timeout - elapsed)))
      try Task.checkCancellation()
    }
  }

  /// Blocks a thread of its own (never one of Swift's two cooperative ones) until the database
  /// changes, `timeout` passes or the task is canceled.
  private static func change(_ events: FolderWatch, timeout: Double) async {
    await withTaskCancellationHandler {
      await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        Thread.detachNewThread {
          events.wait(timeout: timeout)
          continuation.resume()
        }
      }
    } onCancel: {
      events.interrupt()
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
