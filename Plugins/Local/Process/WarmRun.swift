import Foundation
import PluginKit
import PluginSupport

/// A run delivered to a local warm worker, answered from that run's own mailbox keys:
/// exit.json (one keyed read), then claimed.json, then the worker's liveness.
struct WarmRun {
  let runId: String
  let worker: LocalWorker

  /// nil for an ordinary (one-process) run handle.
  static func of(_ handle: JSONValue) throws(PluginError) -> WarmRun? {
    guard let workerHandle = handle["worker"], !workerHandle.isNull else { return nil }
    guard let runId = handle["run_id"]?.stringValue else {
      throw PluginError(.invalidArgument, "the run handle has no run_id: \(handle)")
    }
    try WorkerIdentifier.validate(runId, "run id")
    return WarmRun(runId: runId, worker: try LocalWorker.of(workerHandle))
  }

  var mailbox: FileMailboxStore { worker.mailbox }

  func exitRecord() throws(PluginError) -> AgentExit? {
    try mailbox.getJSON(AgentExit.self, try MailboxLayout.exit(run: runId))
  }

  func status() throws(PluginError) -> RunStatus {
    if let record = try exitRecord() { return record.runStatus }
    let claimed = try mailbox.getJSON(AgentClaim.self, try MailboxLayout.claimed(run: runId))
    if worker.isAlive {
      return RunStatus(state: claimed == nil ? .pending : .running, startedAt: claimed?.at)
    }
    // The agent may have written exit.json between the two reads above.
    if let record = try exitRecord() { return record.runStatus }
    return RunStatus(
      state: .failed, terminationCause: .lost,
      message: "worker \(worker.id) stopped before run \(runId) recorded how it ended")
  }

  func logs(_ request: LogRequest) throws(PluginError) -> LogChunk {
    let finished = try status().state.isFinal
    let path = try mailbox.path(try MailboxLayout.log(run: runId))
    return try LogFile.read(path: path, request: request, finished: finished)
  }

  /// Asks the agent to stop this run only; the worker stays.
  func cancel(reason: String?) throws(PluginError) {
    guard try exitRecord() == nil else { return }
    try mailbox.putJSON(
      try MailboxLayout.cancel(run: runId), AgentCancel(runId: runId, reason: reason, at: Self.now()))
  }

  /// Releases what this run holds, never the worker: a job not finished yet is canceled, and
  /// one not picked up is withdrawn.
  func cleanup() throws(PluginError) {
    guard try exitRecord() == nil else { return }
    try cancel(reason: "cleanup")
    if try mailbox.get(try MailboxLayout.claimed(run: runId)) == nil, !worker.isAlive {
      try mailbox.delete(try MailboxLayout.job(worker: worker.id, run: runId))
    }
  }

  static func now() -> String {
    ISO8601DateFormatter().string(from: Date())
  }
}
