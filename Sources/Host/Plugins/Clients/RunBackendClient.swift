import PluginKit

/// A run backend seen through its table: one typed method per function, sending the PluginKit
/// requests the plugin side decodes and reading its answers as the PluginKit responses. Every failure
/// is a `PluginCallError` naming the plugin, the service and the function; an answer of the wrong
/// shape is one with the fault `invalid_response`.
public struct RunBackendClient: Sendable {
  public let service: OpenedService
  /// What the backend declares, typed (bad keys read as absent; `plugins check` reports them).
  public let capabilities: RunBackendCapabilities

  public init(_ service: OpenedService) {
    self.service = service
    capabilities = RunBackendCapabilities(declared: service.info.capabilities)
  }

  public var name: String { service.info.name }

  /// Starts a job; the answer is the backend's handle, to be stored verbatim.
  public func launch(_ spec: RunSpec) throws(PluginCallError) -> JSONValue {
    try service.send("launch", spec, as: JSONValue.self)
  }

  public func status(_ request: RunHandleRequest) throws(PluginCallError) -> RunStatus {
    try service.send("status", request, as: RunStatus.self)
  }

  public func status(handle: JSONValue) throws(PluginCallError) -> RunStatus {
    try status(RunHandleRequest(handle: handle))
  }

  public func logs(_ request: RunLogsRequest) throws(PluginCallError) -> LogChunk {
    try service.send("logs", request, as: LogChunk.self)
  }

  public func cancel(_ request: RunCancelRequest) throws(PluginCallError) {
    try service.send("cancel", request)
  }

  public func cancel(handle: JSONValue, reason: String) throws(PluginCallError) {
    try cancel(RunCancelRequest(handle: handle, reason: reason))
  }

  public func cleanup(_ request: RunHandleRequest) throws(PluginCallError) {
    try service.send("cleanup", request)
  }

  public func cleanup(handle: JSONValue) throws(PluginCallError) {
    try cleanup(RunHandleRequest(handle: handle))
  }

  public func recover(_ request: RunHandleRequest) throws(PluginCallError) -> RecoveredRun {
    try service.send("recover", request, as: RecoveredRun.self)
  }

  public func recover(handle: JSONValue) throws(PluginCallError) -> RecoveredRun {
    try recover(RunHandleRequest(handle: handle))
  }

  public func deliverJob(_ request: DeliverJobRequest) throws(PluginCallError) -> DeliverJobResponse {
    try service.send("deliver_job", request, as: DeliverJobResponse.self)
  }

  public func probeWorker(_ request: WorkerRequest) throws(PluginCallError) -> WorkerProbe {
    try service.send("probe_worker", request, as: WorkerProbe.self)
  }

  public func deleteWorker(_ request: WorkerRequest) throws(PluginCallError) -> DeleteWorkerResponse {
    try service.send("delete_worker", request, as: DeleteWorkerResponse.self)
  }

  public func listWorkers(_ request: LabelsRequest) throws(PluginCallError) -> WorkerListing {
    try service.send("list_workers", request, as: WorkerListing.self)
  }

  public func listRuns(_ request: LabelsRequest) throws(PluginCallError) -> RunListing {
    try service.send("list_runs", request, as: RunListing.self)
  }

  public func requestStop(_ request: RunStopRequest) throws(PluginCallError) -> StopDelivery {
    try service.send("request_stop", request, as: StopDelivery.self)
  }

  public func diagnose(_ request: DiagnoseRequest) throws(PluginCallError) -> Diagnosis {
    try service.send("diagnose", request, as: Diagnosis.self)
  }
}
