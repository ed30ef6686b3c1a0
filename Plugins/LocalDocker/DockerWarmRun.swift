import Foundation
import PluginKit
import PluginSupport

/// A run delivered to a warm container, answered from that run's own mailbox keys: exit.json
/// (one keyed read), then claimed.json, then whether the container still runs.
struct DockerWarmRun {
  let runId: String
  let worker: DockerWorker
  let container: String

  /// nil for an ordinary (one-container) run handle.
  static func of(_ handle: JSONValue) throws(PluginError) -> DockerWarmRun? {
    guard let workerHandle = handle["worker"], !workerHandle.isNull else { return nil }
    guard let runId = handle["run_id"]?.stringValue else {
      throw PluginError(.invalidArgument, "the run handle has no run_id: \(handle)")
    }
    try WorkerIdentifier.validate(runId, "run id")
    let worker = try DockerWorker.of(workerHandle)
    return DockerWarmRun(
      runId: runId, worker: worker, container: DockerWorker.container(of: workerHandle, worker: worker))
  }

  var mailbox: FileMailboxStore { worker.mailbox }

  func exitRecord() throws(PluginError) -> AgentExit? {
    try mailbox.getJSON(AgentExit.self, try MailboxLayout.exit(run: runId))
  }

  /// `containerRunning` throws when the engine cannot tell; that is never taken as death.
  func status(containerRunning: () throws(PluginError) -> Bool) throws(PluginError) -> RunStatus {
    if let record = try exitRecord() { return record.runStatus }
    let claimed = try mailbox.getJSON(AgentClaim.self, try MailboxLayout.claimed(run: runId))
    if try containerRunning() {
      return RunStatus(state: claimed == nil ? .pending : .running, startedAt: claimed?.at)
    }
    // The agent may have written exit.json between the two reads above.
    if let record = try exitRecord() { return record.runStatus }
    return RunStatus(
      state: .failed, terminationCause: .lost,
      message: "worker container \(worker.id) stopped before run \(runId) recorded how it ended")
  }

  func logs(_ request: LogRequest, finished: Bool) throws(PluginError) -> LogChunk {
    try LogFile.read(path: try mailbox.path(try MailboxLayout.log(run: runId)), request: request, finished: finished)
  }

  /// Asks the agent to stop this run only; the worker stays.
  func cancel(reason: String?) throws(PluginError) {
    guard try exitRecord() == nil else { return }
    try mailbox.putJSON(
      try MailboxLayout.cancel(run: runId),
      AgentCancel(runId: runId, reason: reason, at: ISO8601DateFormatter().string(from: Date())))
  }

  /// Releases what this run holds, never the worker: a job not finished is canceled, and one
  /// never picked up by a worker that is gone is withdrawn.
  func cleanup(containerRunning: () throws(PluginError) -> Bool) throws(PluginError) {
    guard try exitRecord() == nil else { return }
    try cancel(reason: "cleanup")
    if try mailbox.get(try MailboxLayout.claimed(run: runId)) == nil, try !containerRunning() {
      try mailbox.delete(try MailboxLayout.job(worker: worker.id, run: runId))
    }
  }
}
