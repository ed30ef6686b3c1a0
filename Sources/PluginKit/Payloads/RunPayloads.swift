/// The run spec given to `launch` (see goldfish_plugin.h, gf_run_backend_v1.launch).
public struct RunSpec: Codable, Sendable, Equatable {
  private enum CodingKeys: String, CodingKey {
    case runId = "run_id"
    case workspace
    case version
    case stage
    case command
    case env
    case codeDir = "code_dir"
    case workDir = "work_dir"
    case inputs
    case outputsDir = "outputs_dir"
    case image
    case profile
    case timeoutSeconds = "timeout_seconds"
    case labels
    case worker
  }

  public var runId: String
  public var workspace: String?
  public var version: String?
  public var stage: String?
  public var command: [String]
  public var env: [String: String]
  public var codeDir: String?
  public var workDir: String
  public var inputs: [RunInput]
  public var outputsDir: String?
  public var image: String?
  public var profile: ResourceProfile?
  /// Absent means no limit; 0 is refused by the host, never read as "off".
  public var timeoutSeconds: Int?
  public var labels: [String: String]
  public var worker: WorkerOptions?

  public init(
    runId: String, command: [String], workDir: String, env: [String: String] = [:],
    codeDir: String? = nil, inputs: [RunInput] = [], outputsDir: String? = nil,
    image: String? = nil, profile: ResourceProfile? = nil, timeoutSeconds: Int? = nil,
    labels: [String: String] = [:], workspace: String? = nil, version: String? = nil,
    stage: String? = nil, worker: WorkerOptions? = nil
  ) {
    self.runId = runId
    self.command = command
    self.workDir = workDir
    self.env = env
    self.codeDir = codeDir
    self.inputs = inputs
    self.outputsDir = outputsDir
    self.image = image
    self.profile = profile
    self.timeoutSeconds = timeoutSeconds
    self.labels = labels
    self.workspace = workspace
    self.version = version
    self.stage = stage
    self.worker = worker
  }

  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    runId = try c.decode(String.self, forKey: .runId)
    command = try c.decode([String].self, forKey: .command)
    workDir = try c.decode(String.self, forKey: .workDir)
    env = try c.decodeIfPresent([String: String].self, forKey: .env) ?? [:]
    codeDir = try c.decodeIfPresent(String.self, forKey: .codeDir)
    inputs = try c.decodeIfPresent([RunInput].self, forKey: .inputs) ?? []
    outputsDir = try c.decodeIfPresent(String.self, forKey: .outputsDir)
    image = try c.decodeIfPresent(String.self, forKey: .image)
    profile = try c.decodeIfPresent(ResourceProfile.self, forKey: .profile)
    timeoutSeconds = try c.decodeIfPresent(Int.self, forKey: .timeoutSeconds)
    labels = try c.decodeIfPresent([String: String].self, forKey: .labels) ?? [:]
    workspace = try c.decodeIfPresent(String.self, forKey: .workspace)
    version = try c.decodeIfPresent(String.self, forKey: .version)
    stage = try c.decodeIfPresent(String.self, forKey: .stage)
    worker = try c.decodeIfPresent(WorkerOptions.self, forKey: .worker)
  }
}

public struct RunInput: Codable, Sendable, Equatable {
  private enum CodingKeys: String, CodingKey {
    case name
    case type
    case uri
    case localPath = "local_path"
  }

  public var name: String
  public var type: String
  public var uri: String?
  public var localPath: String?

  public init(name: String, type: String, uri: String? = nil, localPath: String? = nil) {
    self.name = name
    self.type = type
    self.uri = uri
    self.localPath = localPath
  }
}

public struct ResourceProfile: Codable, Sendable, Equatable {
  private enum CodingKeys: String, CodingKey {
    case name
    case cpus
    case memoryMb = "memory_mb"
    case pids
    case network
    case gpu
    case spot
    case machineType = "machine_type"
    case definition
  }

  public var name: String?
  public var cpus: Double?
  public var memoryMb: Int?
  public var pids: Int?
  public var network: Bool?
  public var gpu: GPURequest?
  public var spot: Bool?
  public var machineType: String?
  /// The whole profile as goldfish.yaml resolves it (built-in merged with gce.profile_overrides:
  /// machine_type, gpu, zones, boot_disk, preemptible_allowed, on_demand_allowed, ...), for
  /// backends that place machines themselves. Absent for profiles the host does not know.
  public var definition: JSONValue?

  public init(
    name: String? = nil, cpus: Double? = nil, memoryMb: Int? = nil, pids: Int? = nil,
    network: Bool? = nil, gpu: GPURequest? = nil, spot: Bool? = nil, machineType: String? = nil,
    definition: JSONValue? = nil
  ) {
    self.name = name
    self.cpus = cpus
    self.memoryMb = memoryMb
    self.pids = pids
    self.network = network
    self.gpu = gpu
    self.spot = spot
    self.machineType = machineType
    self.definition = definition
  }
}

public struct GPURequest: Codable, Sendable, Equatable {
  public var type: String
  public var count: Int
  public init(type: String, count: Int) {
    self.type = type
    self.count = count
  }
}

public struct WorkerOptions: Codable, Sendable, Equatable {
  private enum CodingKeys: String, CodingKey {
    case keepWarm = "keep_warm"
    case idleTimeoutSeconds = "idle_timeout_seconds"
    case lifetimeSeconds = "lifetime_seconds"
    case preservePaths = "preserve_paths"
    case workerId = "worker_id"
  }

  public var keepWarm: Bool
  public var idleTimeoutSeconds: Int?
  public var lifetimeSeconds: Int?
  /// `inputs/<path>` or `outputs/<path>` kept between jobs (docs/warm-pool.md).
  public var preservePaths: [String]
  /// Chosen by the host; the backend names the worker after it.
  public var workerId: String?

  public init(
    keepWarm: Bool, idleTimeoutSeconds: Int? = nil, lifetimeSeconds: Int? = nil,
    preservePaths: [String] = [], workerId: String? = nil
  ) {
    self.keepWarm = keepWarm
    self.idleTimeoutSeconds = idleTimeoutSeconds
    self.lifetimeSeconds = lifetimeSeconds
    self.preservePaths = preservePaths
    self.workerId = workerId
  }

  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    keepWarm = try c.decodeIfPresent(Bool.self, forKey: .keepWarm) ?? false
    idleTimeoutSeconds = try c.decodeIfPresent(Int.self, forKey: .idleTimeoutSeconds)
    lifetimeSeconds = try c.decodeIfPresent(Int.self, forKey: .lifetimeSeconds)
    preservePaths = try c.decodeIfPresent([String].self, forKey: .preservePaths) ?? []
    workerId = try c.decodeIfPresent(String.self, forKey: .workerId)
  }
}

/// The state of a launched run as a backend sees it.
public enum RunState: String, Codable, Sendable, CaseIterable {
  case pending, preparing, running, completed, failed, canceled, terminated, unknown

  public var isFinal: Bool {
    switch self {
    case .completed, .failed, .canceled, .terminated: return true
    default: return false
    }
  }
}

public enum TerminationCause: String, Codable, Sendable, CaseIterable {
  case exit, user, timeout, oom, preemption, lost, error
}

public struct RunStatus: Codable, Sendable, Equatable {
  public var state: RunState
  public var exitCode: Int?
  public var terminationCause: TerminationCause?
  public var message: String
  public var startedAt: String?
  public var finishedAt: String?

  public init(
    state: RunState, exitCode: Int? = nil, terminationCause: TerminationCause? = nil,
    message: String = "", startedAt: String? = nil, finishedAt: String? = nil
  ) {
    self.state = state
    self.exitCode = exitCode
    self.terminationCause = terminationCause
    self.message = message
    self.startedAt = startedAt
    self.finishedAt = finishedAt
  }

  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let raw = try c.decode(String.self, forKey: .state)
    state = RunState(rawValue: raw) ?? .unknown
    exitCode = try c.decodeIfPresent(Int.self, forKey: .exitCode)
    terminationCause =
      (try? c.decodeIfPresent(TerminationCause.self, forKey: .terminationCause))
      ?? nil
    message = try c.decodeIfPresent(String.self, forKey: .message) ?? ""
    startedAt = try c.decodeIfPresent(String.self, forKey: .startedAt)
    finishedAt = try c.decodeIfPresent(String.self, forKey: .finishedAt)
  }

  public func encode(to encoder: Encoder) throws {
    // Null fields are written out so that plugins in other languages see every key.
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(state, forKey: .state)
    try c.encode(exitCode, forKey: .exitCode)
    try c.encode(terminationCause, forKey: .terminationCause)
    try c.encode(message, forKey: .message)
    try c.encode(startedAt, forKey: .startedAt)
    try c.encode(finishedAt, forKey: .finishedAt)
  }

  private enum CodingKeys: String, CodingKey {
    case state
    case exitCode = "exit_code"
    case terminationCause = "termination_cause"
    case message
    case startedAt = "started_at"
    case finishedAt = "finished_at"
  }
}

/// `logs` request: either an offset (bytes) or a tail (lines).
public struct LogRequest: Codable, Sendable, Equatable {
  private enum CodingKeys: String, CodingKey {
    case offset
    case tail
    case maxBytes = "max_bytes"
  }

  public var offset: Int64?
  public var tail: Int?
  public var maxBytes: Int?

  public init(offset: Int64? = nil, tail: Int? = nil, maxBytes: Int? = nil) {
    self.offset = offset
    self.tail = tail
    self.maxBytes = maxBytes
  }
}

public struct LogChunk: Codable, Sendable, Equatable {
  private enum CodingKeys: String, CodingKey {
    case text
    case nextOffset = "next_offset"
    case complete
  }

  public var text: String
  public var nextOffset: Int64
  public var complete: Bool

  public init(text: String, nextOffset: Int64, complete: Bool) {
    self.text = text
    self.nextOffset = nextOffset
    self.complete = complete
  }
}

public enum WorkerLiveness: String, Codable, Sendable {
  case alive, dead
  case notFound = "not_found"
  case error
}

public struct WorkerProbe: Codable, Sendable, Equatable {
  private enum CodingKeys: String, CodingKey {
    case liveness
    case state
    case runId = "run_id"
    case exitCode = "exit_code"
    case message
  }

  public var liveness: WorkerLiveness
  public var state: String?
  public var runId: String?
  public var exitCode: Int?
  public var message: String

  public init(
    liveness: WorkerLiveness, state: String? = nil, runId: String? = nil, exitCode: Int? = nil,
    message: String = ""
  ) {
    self.liveness = liveness
    self.state = state
    self.runId = runId
    self.exitCode = exitCode
    self.message = message
  }
}
