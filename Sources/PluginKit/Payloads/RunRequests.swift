// The requests and answers of the run backend table (goldfish_plugin.h, gf_run_backend_v1) other than
// the run spec and status: the host encodes them through `RunBackendClient`, PluginKit decodes them
// before calling a `RunBackend`, so both sides read one definition.

/// The request of `status`, `cleanup` and `recover`: the handle `launch` returned, passed back
/// verbatim.
public struct RunHandleRequest: Codable, Sendable, Equatable {
  /// The job's handle, an object the backend chose (it holds at least `run_id` and `backend`).
  public var handle: JSONValue

  public init(handle: JSONValue) {
    self.handle = handle
  }
}

/// The request of `logs`: which job, and which part of its log (an `offset` or a `tail`).
public struct RunLogsRequest: Codable, Sendable, Equatable {
  private enum CodingKeys: String, CodingKey {
    case handle, offset, tail
    case maxBytes = "max_bytes"
  }

  /// The job's handle as `launch` returned it.
  public var handle: JSONValue
  /// Byte offset into the log to read from; the previous chunk's `next_offset`.
  public var offset: Int64?
  /// Read the last this many lines instead of from an offset.
  public var tail: Int?
  /// The most bytes of text the answer may hold; absent means the backend's own limit.
  public var maxBytes: Int?

  public init(handle: JSONValue, offset: Int64? = nil, tail: Int? = nil, maxBytes: Int? = nil) {
    self.handle = handle
    self.offset = offset
    self.tail = tail
    self.maxBytes = maxBytes
  }

  /// The same request with the handle given apart, as `RunBackend.logs` takes it.
  public var logRequest: LogRequest { LogRequest(offset: offset, tail: tail, maxBytes: maxBytes) }
}

/// The request of `cancel`.
public struct RunCancelRequest: Codable, Sendable, Equatable {
  /// The job's handle as `launch` returned it.
  public var handle: JSONValue
  /// Why the job is stopped: `user`, `timeout`, `orphan`, … (free text a backend may record).
  public var reason: String?

  public init(handle: JSONValue, reason: String? = nil) {
    self.handle = handle
    self.reason = reason
  }
}

/// The request of `request_stop`: the same handle and reason as `cancel`, a different verb.
public typealias RunStopRequest = RunCancelRequest

/// The request of `deliver_job`: a run spec for an idle warm worker.
public struct DeliverJobRequest: Codable, Sendable, Equatable {
  /// The worker's handle, as `launch` (with `spec.worker.keep_warm`) or `list_workers` returned it.
  public var worker: JSONValue
  /// The job to run on it.
  public var spec: RunSpec

  public init(worker: JSONValue, spec: RunSpec) {
    self.worker = worker
    self.spec = spec
  }
}

/// The answer of `deliver_job`: the delivered job's own handle.
public struct DeliverJobResponse: Codable, Sendable, Equatable {
  /// The job's handle; `status`, `logs`, `cancel` and `cleanup` take it like a launched job's.
  public var handle: JSONValue

  public init(handle: JSONValue) {
    self.handle = handle
  }
}

/// The request of `probe_worker` and `delete_worker`.
public struct WorkerRequest: Codable, Sendable, Equatable {
  /// The worker's handle.
  public var worker: JSONValue

  public init(worker: JSONValue) {
    self.worker = worker
  }
}

/// The answer of `delete_worker`.
public struct DeleteWorkerResponse: Codable, Sendable, Equatable {
  /// True once the worker is gone; false while its deletion is still in progress (ask again).
  public var confirmed: Bool

  public init(confirmed: Bool) {
    self.confirmed = confirmed
  }
}

/// The request of `list_workers` and `list_runs`: the launch labels to match.
public struct LabelsRequest: Codable, Sendable, Equatable {
  /// Only what was launched with every one of these labels (absent: no filter).
  public var labels: [String: String]?

  public init(labels: [String: String]? = nil) {
    self.labels = labels
  }
}

/// The answer of `list_workers`.
public struct WorkerListing: Codable, Sendable, Equatable {
  /// The handles of the warm workers found, each as `launch` returned it.
  public var workers: [JSONValue]

  public init(workers: [JSONValue]) {
    self.workers = workers
  }
}

/// The answer of `list_runs`.
public struct RunListing: Codable, Sendable, Equatable {
  /// The jobs the backend still holds whose labels matched.
  public var runs: [ListedRun]

  public init(runs: [ListedRun]) {
    self.runs = runs
  }
}
