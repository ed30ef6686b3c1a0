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

  /// The stage run's id (`stage-…`); the handle `launch` returns must carry it as `run_id`.
  public var runId: String
  /// The workspace the run's code was versioned from (a label, for logs and machine names).
  public var workspace: String?
  /// The workspace version that runs, e.g. `v3`.
  public var version: String?
  /// The stage's name in the pipeline.
  public var stage: String?
  /// The argv to run, never a shell string; its working directory is `code_dir`.
  public var command: [String]
  /// The environment added to the backend's base environment (keys `[A-Za-z_][A-Za-z0-9_]*`).
  public var env: [String: String]
  /// The run's code: an absolute path, read-only for the job.
  public var codeDir: String?
  /// The folder private to this run (absolute; the host creates it): logs, status and scratch.
  public var workDir: String
  /// The stored objects the stage reads, each with where the host staged a copy.
  public var inputs: [RunInput]
  /// Where the job writes its outputs (absolute); the host stores what is there once it ends.
  public var outputsDir: String?
  /// The image to run in, for backends that declare `needs_image`.
  public var image: String?
  /// The resources the stage's compute profile asks for.
  public var profile: ResourceProfile?
  /// The job's time limit in seconds, enforced by the backend. Absent means no limit; 0 is
  /// refused by the host, never read as "off".
  public var timeoutSeconds: Int?
  /// Labels to attach to the job (`goldfish-project`, `goldfish-run`), matched by `list_runs`.
  public var labels: [String: String]
  /// Warm-pool options, for backends that declare `warm_reuse`; absent for a one-job launch.
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

/// One input of a run: a stored object and the host's local copy of it.
public struct RunInput: Codable, Sendable, Equatable {
  private enum CodingKeys: String, CodingKey {
    case name
    case type
    case uri
    case localPath = "local_path"
  }

  /// The input's signal name, or a file name for files the host adds (the stage config).
  public var name: String
  /// The signal type: `npy`, `csv`, `directory`, `file` or `dataset`.
  public var type: String
  /// The object's URI in the project's storage; absent for files that exist only locally.
  public var uri: String?
  /// The host's copy on this machine (absolute), for backends that run jobs here.
  public var localPath: String?

  public init(name: String, type: String, uri: String? = nil, localPath: String? = nil) {
    self.name = name
    self.type = type
    self.uri = uri
    self.localPath = localPath
  }
}

/// The resources a stage's compute profile asks for, as the run spec carries them.
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

  /// The profile's name in goldfish.yaml, e.g. `cpu-small`.
  public var name: String?
  /// CPU cores the job may use (fractional); enforced by backends listing `cpus` in `resource_limits`.
  public var cpus: Double?
  /// Memory the job may use, in MiB; enforced by backends listing `memory_mb` in `resource_limits`.
  public var memoryMb: Int?
  /// Processes and threads the job may have; enforced by backends listing `pids` in `resource_limits`.
  public var pids: Int?
  /// True: the job may reach the network; absent: the backend's default (none for local ones).
  /// Honoured by backends that declare `network_policy`.
  public var network: Bool?
  /// GPUs asked for, for backends that declare `gpu`.
  public var gpu: GPURequest?
  /// May run on spot capacity, for backends that declare `spot`.
  public var spot: Bool?
  /// The cloud machine type (e.g. `n2-standard-4`), for backends that place machines.
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

/// GPUs a profile asks for.
public struct GPURequest: Codable, Sendable, Equatable {
  /// The GPU family, e.g. `h100`, `a100`.
  public var type: String
  /// How many.
  public var count: Int
  public init(type: String, count: Int) {
    self.type = type
    self.count = count
  }
}

/// `spec.worker`: how a warm-pool launch keeps its worker (docs/warm-pool.md).
public struct WorkerOptions: Codable, Sendable, Equatable {
  private enum CodingKeys: String, CodingKey {
    case keepWarm = "keep_warm"
    case idleTimeoutSeconds = "idle_timeout_seconds"
    case lifetimeSeconds = "lifetime_seconds"
    case preservePaths = "preserve_paths"
    case workerId = "worker_id"
  }

  /// True: the worker stays up after the job, waiting for `deliver_job`.
  public var keepWarm: Bool
  /// Seconds an idle worker waits for a job before it ends itself.
  public var idleTimeoutSeconds: Int?
  /// Seconds after which the worker ends itself whatever it is doing (a watchdog).
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

/// Why a job ended: its own exit, or what stopped it.
public enum TerminationCause: String, Codable, Sendable, CaseIterable {
  case exit, user, timeout, oom, preemption, lost, error
}

/// Keys of a run handle the host reads (every other key is the backend's own).
public enum RunHandleKey {
  /// `true`: the launch only asked for a machine, the job has not started. The host keeps the run
  /// `launching` while `status` answers `pending`, and records it `running` at the first other
  /// answer (gce: until goldfish-agent on the VM claims the job).
  public static let pendingUntilStarted = "pending_until_started"
}

/// The answer of `status` (and part of `recover`'s).
public struct RunStatus: Codable, Sendable, Equatable {
  /// Where the job is; an unknown state reads as `unknown`.
  public var state: RunState
  /// The command's exit code once it ended by itself.
  public var exitCode: Int?
  /// Why it ended, once it did.
  public var terminationCause: TerminationCause?
  /// Free text for people: what the backend saw.
  public var message: String
  /// When the command started, RFC 3339 UTC.
  public var startedAt: String?
  /// When it ended, RFC 3339 UTC.
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

  /// Byte offset to read from.
  public var offset: Int64?
  /// The last this many lines instead.
  public var tail: Int?
  /// The most bytes of text to answer with.
  public var maxBytes: Int?

  public init(offset: Int64? = nil, tail: Int? = nil, maxBytes: Int? = nil) {
    self.offset = offset
    self.tail = tail
    self.maxBytes = maxBytes
  }
}

/// The answer of `logs` and `build_logs`: a piece of a log.
public struct LogChunk: Codable, Sendable, Equatable {
  private enum CodingKeys: String, CodingKey {
    case text
    case nextOffset = "next_offset"
    case complete
  }

  /// The log's text (UTF-8).
  public var text: String
  /// The byte offset to ask for next.
  public var nextOffset: Int64
  /// True when the job ended and nothing follows.
  public var complete: Bool

  public init(text: String, nextOffset: Int64, complete: Bool) {
    self.text = text
    self.nextOffset = nextOffset
    self.complete = complete
  }
}

/// Whether a warm worker exists, as `probe_worker` can tell.
public enum WorkerLiveness: String, Codable, Sendable {
  case alive, dead
  case notFound = "not_found"
  case error
}

/// The answer of `probe_worker`.
public struct WorkerProbe: Codable, Sendable, Equatable {
  private enum CodingKeys: String, CodingKey {
    case liveness
    case state
    case runId = "run_id"
    case exitCode = "exit_code"
    case message
  }

  /// Alive, dead, not found, or `error` when the backend could not tell.
  public var liveness: WorkerLiveness
  /// `idle`, `busy`, `starting` or `stopping`, when alive.
  public var state: String?
  /// The job it runs or last ran.
  public var runId: String?
  /// That job's exit code, when it ended.
  public var exitCode: Int?
  /// Free text for people.
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
