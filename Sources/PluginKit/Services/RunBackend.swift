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

/// The answer of `recover`: the job found again from a handle of an earlier host process.
public struct RecoveredRun: Codable, Sendable, Equatable {
  /// The handle to use from now on (the same one, or a refreshed one).
  public var handle: JSONValue
  /// The job's status now.
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

/// A backend that can list the jobs it holds by their launch labels (`list_runs`), so the host
/// finds jobs it lost track of: a host killed between `launch` answering and the handle being
/// stored would otherwise leave the job running with nobody watching it.
public protocol RunListingBackend: RunBackend {
  /// Jobs still held (running, or ended and not cleaned up) whose labels include all of `labels`.
  func listRuns(labels: [String: String]) throws(PluginError) -> [ListedRun]
}

/// A backend that can ask a running job to stop cleanly (`request_stop`, ABI 1.3): the file
/// `<outputs_dir>/.goldfish/stop_requested` appears where the job's `should_stop()` sees it.
/// Backends whose outputs folder is on the host need not implement it: the host writes the file.
public protocol StopRequestBackend: RunBackend {
  /// True when the request reached the job; false when the job had already ended.
  func requestStop(handle: JSONValue, reason: String) throws(PluginError) -> Bool
}

/// The answer of `request_stop`.
public struct StopDelivery: Codable, Sendable, Equatable {
  public var delivered: Bool
  public init(delivered: Bool) { self.delivered = delivered }
}

/// One job `list_runs` found: its handle (as `launch` returned it), labels and state.
public struct ListedRun: Codable, Sendable, Equatable {
  public var handle: JSONValue
  public var labels: [String: String]
  /// A RunState name ("running", "completed", …) when the backend knows it.
  public var state: String?

  public init(handle: JSONValue, labels: [String: String], state: String? = nil) {
    self.handle = handle
    self.labels = labels
    self.state = state
  }

  var json: JSONValue {
    var fields: [String: JSONValue] = ["handle": handle, "labels": .object(labels.mapValues { .string($0) })]
    if let state { fields["state"] = .string(state) }
    return .object(fields)
  }
}

/// A backend that can check, before any run, that what it needs is there and allowed
/// (`diagnose`, ABI 1.4): `goldfish gce doctor` and its kin show each check with its fix.
public protocol DiagnosingBackend: RunBackend {
  func diagnose(_ request: DiagnoseRequest) throws(PluginError) -> Diagnosis
}

/// The request of `diagnose`: the profiles runs may use, and whether runs bring an image.
public struct DiagnoseRequest: Codable, Sendable, Equatable {
  private enum CodingKeys: String, CodingKey {
    case profiles
    case imageInvolved = "image_involved"
  }

  /// Resolved as in a run spec (`definition` carries zones, boot disk, GPUs).
  public var profiles: [ResourceProfile]
  /// Runs are given a stage image, so the registry it is pulled from matters.
  public var imageInvolved: Bool

  public init(profiles: [ResourceProfile], imageInvolved: Bool) {
    self.profiles = profiles
    self.imageInvolved = imageInvolved
  }
}

/// The answer of `diagnose`: every check, passed or not, in the order it ran.
public struct Diagnosis: Codable, Sendable, Equatable {
  public var checks: [DiagnosticCheck]
  public init(checks: [DiagnosticCheck]) { self.checks = checks }
}

/// One prerequisite: what was checked, what was found and, unless it passed, how to fix it.
public struct DiagnosticCheck: Codable, Sendable, Equatable {
  public enum Status: String, Codable, Sendable, CaseIterable {
    /// There and allowed.
    case ok
    /// Runs will fail until it is fixed.
    case failed
    /// Runs may work, but something will bite (no quota for a profile's GPU, say).
    case warning
    /// Not checked: it does not apply to this configuration (the reason is the detail).
    case skipped
  }

  /// A stable short name: `compute_api`, `permissions_project`, `bucket`, …
  public var name: String
  public var status: Status
  public var detail: String
  public var fix: String?

  public init(name: String, status: Status, detail: String, fix: String? = nil) {
    self.name = name
    self.status = status
    self.detail = detail
    self.fix = fix
  }
}
