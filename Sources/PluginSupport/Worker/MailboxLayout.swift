import PluginKit

/// Every key of the warm-worker mailbox (docs/warm-pool.md), relative to the mailbox root.
/// Keys are built only from validated ids, so a run's keys come from that run's own id and
/// never from the job before it (upstream §5.7 #2 #3 #6 #13).
public enum MailboxLayout {
  public static let workersFolder = "workers"
  public static let runsFolder = RunLayout.storagePrefix

  public static func workerFolder(_ workerId: String) throws(PluginError) -> String {
    try WorkerIdentifier.validate(workerId, "worker id")
    return "\(workersFolder)/\(workerId)"
  }

  public static func status(worker workerId: String) throws(PluginError) -> String {
    try workerFolder(workerId) + "/status.json"
  }

  public static func jobsFolder(worker workerId: String) throws(PluginError) -> String {
    try workerFolder(workerId) + "/jobs"
  }

  public static func job(worker workerId: String, run runId: String) throws(PluginError) -> String {
    try WorkerIdentifier.validate(runId, "run id")
    return try jobsFolder(worker: workerId) + "/\(runId).json"
  }

  /// The run id of a key under `jobs/`, or nil for anything that is not `<valid id>.json`.
  public static func runId(ofJobKey key: String) -> String? {
    guard let name = key.split(separator: "/").last, name.hasSuffix(".json") else { return nil }
    let id = String(name.dropLast(5))
    return WorkerIdentifier.isValid(id) ? id : nil
  }

  public static func runFolder(_ runId: String) throws(PluginError) -> String {
    try WorkerIdentifier.validate(runId, "run id")
    return RunLayout.storageFolder(runId)
  }

  public static func claimed(run runId: String) throws(PluginError) -> String {
    try runFolder(runId) + "/claimed.json"
  }

  public static func log(run runId: String) throws(PluginError) -> String {
    try WorkerIdentifier.validate(runId, "run id")
    return RunLayout.logKey(runId)
  }

  public static func outputsFolder(run runId: String) throws(PluginError) -> String {
    try WorkerIdentifier.validate(runId, "run id")
    return RunLayout.outputsKey(runId)
  }

  /// The run's metrics file (goldfish.io's metrics.jsonl) inside its outputs: an agent whose
  /// job cannot write the host's outputs folder uploads it here while the job runs.
  public static func metrics(run runId: String) throws(PluginError) -> String {
    StageIO.metricsFile(outputsDir: try outputsFolder(run: runId))
  }

  public static func cancel(run runId: String) throws(PluginError) -> String {
    try runFolder(runId) + "/cancel.json"
  }

  /// A clean-stop request (`request_stop`): the agent makes the job's stop file from it.
  public static func stop(run runId: String) throws(PluginError) -> String {
    try runFolder(runId) + "/stop.json"
  }

  public static func exit(run runId: String) throws(PluginError) -> String {
    try runFolder(runId) + "/exit.json"
  }
}
