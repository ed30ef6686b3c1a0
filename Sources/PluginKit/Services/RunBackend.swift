/// A compute backend: runs one job per `launch` and answers for it by its handle.
public protocol RunBackend: PluginService {
  /// Starts the job and returns its handle, which must contain `run_id` and `backend`.
  func launch(_ spec: RunSpec) throws(PluginError) -> JSONValue
  func status(handle: JSONValue) throws(PluginError) -> RunStatus
  func logs(handle: JSONValue, request: LogRequest) throws(PluginError) -> LogChunk
  /// Stops the job; succeeds on a job that already ended.
  func cancel(handle: JSONValue, reason: String?) throws(PluginError)
  /// Releases what the job held; idempotent, works on handles of a previous host process.
  func cleanup(handle: JSONValue) throws(PluginError)
  func recover(handle: JSONValue) throws(PluginError) -> RecoveredRun
}

extension RunBackend {
  public static var kind: ServiceKind { .runBackend }
}

public struct RecoveredRun: Codable, Sendable, Equatable {
  public var handle: JSONValue
  public var status: RunStatus
  public init(handle: JSONValue, status: RunStatus) {
    self.handle = handle
    self.status = status
  }
}

/// A backend whose workers stay up between jobs so the host's warm pool can reuse them.
public protocol WarmReuseBackend: RunBackend {
  /// Hands a job to an idle worker; throws `conflict` when the worker is not idle.
  func deliverJob(worker: JSONValue, spec: RunSpec) throws(PluginError) -> JSONValue
  func probeWorker(_ worker: JSONValue) throws(PluginError) -> WorkerProbe
  /// True once the worker is confirmed gone; false while deletion is in progress.
  func deleteWorker(_ worker: JSONValue) throws(PluginError) -> Bool
  func listWorkers(labels: [String: String]) throws(PluginError) -> [JSONValue]
}
