// A service's capabilities (`capabilities_json` of its gf_service entry), typed: declared by the
// plugin, never probed, read by the host to decide what it may ask. One type per service kind; the
// keys and their JSON types are listed once, in `CapabilityKeys`, which `goldfish plugins check`
// checks a declaration against.

/// Whether the host may call one instance from several threads at once.
public enum CallConcurrency: String, Codable, Sendable {
  /// Calls may arrive on several threads at the same time.
  case parallel
  /// The host serialises every call into the instance.
  case serial
}

/// How a run backend serves `logs`.
public enum LogAccess: String, Codable, Sendable {
  /// By byte offset (`offset`, `next_offset`).
  case offset
  /// Only the last lines (`tail`).
  case tail
  /// Not at all.
  case none
}

/// A resource limit a run backend can enforce on a job (`resource_limits`), by its profile field.
public enum ResourceLimit: String, Codable, Sendable, CaseIterable {
  /// `profile.memory_mb`: memory in MiB.
  case memoryMB = "memory_mb"
  /// `profile.cpus`: CPU cores, fractional.
  case cpus
  /// `profile.pids`: the number of processes and threads.
  case pids
}

/// Capabilities of a `run_backend` service (goldfish_plugin.h lists the same keys).
public struct RunBackendCapabilities: Codable, Sendable, Equatable {
  private enum CodingKeys: String, CodingKey {
    case concurrency, implemented, note, isolation, gpu, spot
    case networkPolicy = "network_policy"
    case resourceLimits = "resource_limits"
    case logs, recover
    case warmReuse = "warm_reuse"
    case warmMatch = "warm_match"
    case needsImage = "needs_image"
    case sandbox
  }

  /// Absent: parallel.
  public var concurrency: CallConcurrency
  /// False: a placeholder whose every call fails with `not_implemented`. Absent: true.
  public var implemented: Bool
  /// Free text shown by `goldfish plugins list`.
  public var note: String?
  /// What separates a job from the host: `process`, `container` or `vm`.
  public var isolation: String?
  /// Jobs may ask for GPUs (`profile.gpu`). Absent: false, and a GPU profile is refused.
  public var gpu: Bool
  /// Jobs may run on spot (preemptible) capacity. Absent: false.
  public var spot: Bool
  /// The backend honours `profile.network` (cuts or grants a job's network). Absent: false.
  public var networkPolicy: Bool
  /// The profile limits the backend enforces. Absent: none.
  public var resourceLimits: [ResourceLimit]
  /// How `logs` reads a job's log. Absent: offset.
  public var logs: LogAccess
  /// Handles survive a host restart: `recover` finds the job again. Absent: false.
  public var recover: Bool
  /// The warm-pool functions (`deliver_job`, `probe_worker`, `delete_worker`, `list_workers`) work.
  public var warmReuse: Bool
  /// Run spec fields a warm worker is bound to (e.g. `image`), matched exactly by the host's pool.
  public var warmMatch: [String]
  /// `launch` needs `spec.image`: the host builds one with an image builder first.
  public var needsImage: Bool
  /// Free text: how jobs are sandboxed, for people reading `plugins list`.
  public var sandbox: String?

  public init(
    concurrency: CallConcurrency = .parallel, implemented: Bool = true, note: String? = nil,
    isolation: String? = nil, gpu: Bool = false, spot: Bool = false, networkPolicy: Bool = false,
    resourceLimits: [ResourceLimit] = [], logs: LogAccess = .offset, recover: Bool = false, warmReuse: Bool = false,
    warmMatch: [String] = [], needsImage: Bool = false, sandbox: String? = nil
  ) {
    self.concurrency = concurrency
    self.implemented = implemented
    self.note = note
    self.isolation = isolation
    self.gpu = gpu
    self.spot = spot
    self.networkPolicy = networkPolicy
    self.resourceLimits = resourceLimits
    self.logs = logs
    self.recover = recover
    self.warmReuse = warmReuse
    self.warmMatch = warmMatch
    self.needsImage = needsImage
    self.sandbox = sandbox
  }

  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    concurrency = try c.decodeIfPresent(CallConcurrency.self, forKey: .concurrency) ?? .parallel
    implemented = try c.decodeIfPresent(Bool.self, forKey: .implemented) ?? true
    note = try c.decodeIfPresent(String.self, forKey: .note)
    isolation = try c.decodeIfPresent(String.self, forKey: .isolation)
    gpu = try c.decodeIfPresent(Bool.self, forKey: .gpu) ?? false
    spot = try c.decodeIfPresent(Bool.self, forKey: .spot) ?? false
    networkPolicy = try c.decodeIfPresent(Bool.self, forKey: .networkPolicy) ?? false
    resourceLimits = try c.decodeIfPresent([ResourceLimit].self, forKey: .resourceLimits) ?? []
    logs = try c.decodeIfPresent(LogAccess.self, forKey: .logs) ?? .offset
    recover = try c.decodeIfPresent(Bool.self, forKey: .recover) ?? false
    warmReuse = try c.decodeIfPresent(Bool.self, forKey: .warmReuse) ?? false
    warmMatch = try c.decodeIfPresent([String].self, forKey: .warmMatch) ?? []
    needsImage = try c.decodeIfPresent(Bool.self, forKey: .needsImage) ?? false
    sandbox = try c.decodeIfPresent(String.self, forKey: .sandbox)
  }

  /// As `PluginService.capabilities` declares it.
  public var json: JSONValue { CapabilityKeys.json(self) }
}

/// Capabilities of an `object_storage` service.
public struct ObjectStorageCapabilities: Codable, Sendable, Equatable {
  private enum CodingKeys: String, CodingKey {
    case concurrency, implemented, note, schemes, local, hash, resumable
    case maxObjectBytes = "max_object_bytes"
  }

  /// Absent: parallel.
  public var concurrency: CallConcurrency
  /// False: a placeholder. Absent: true.
  public var implemented: Bool
  /// Free text shown by `goldfish plugins list`.
  public var note: String?
  /// The URI schemes it serves, e.g. `["gs"]`.
  public var schemes: [String]
  /// `local_path` works: objects are files on this machine.
  public var local: Bool
  /// The digest `stat` always returns: `md5`, `crc32c` or `sha256`.
  public var hash: String?
  /// Uploads resume after a dropped connection.
  public var resumable: Bool
  /// The largest object it stores, in bytes; absent or null: no limit of its own.
  public var maxObjectBytes: Int64?

  public init(
    concurrency: CallConcurrency = .parallel, implemented: Bool = true, note: String? = nil, schemes: [String] = [],
    local: Bool = false, hash: String? = nil, resumable: Bool = false, maxObjectBytes: Int64? = nil
  ) {
    self.concurrency = concurrency
    self.implemented = implemented
    self.note = note
    self.schemes = schemes
    self.local = local
    self.hash = hash
    self.resumable = resumable
    self.maxObjectBytes = maxObjectBytes
  }

  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    concurrency = try c.decodeIfPresent(CallConcurrency.self, forKey: .concurrency) ?? .parallel
    implemented = try c.decodeIfPresent(Bool.self, forKey: .implemented) ?? true
    note = try c.decodeIfPresent(String.self, forKey: .note)
    schemes = try c.decodeIfPresent([String].self, forKey: .schemes) ?? []
    local = try c.decodeIfPresent(Bool.self, forKey: .local) ?? false
    hash = try c.decodeIfPresent(String.self, forKey: .hash)
    resumable = try c.decodeIfPresent(Bool.self, forKey: .resumable) ?? false
    maxObjectBytes = try c.decodeIfPresent(Int64.self, forKey: .maxObjectBytes)
  }

  /// As `PluginService.capabilities` declares it.
  public var json: JSONValue { CapabilityKeys.json(self) }
}

/// Capabilities of an `image_builder` service.
public struct ImageBuilderCapabilities: Codable, Sendable, Equatable {
  private enum CodingKeys: String, CodingKey {
    case concurrency, implemented, note, registry, cache
  }

  /// Absent: parallel.
  public var concurrency: CallConcurrency
  /// False: a placeholder. Absent: true.
  public var implemented: Bool
  /// Free text shown by `goldfish plugins list`.
  public var note: String?
  /// `push` and `exists` talk to a registry.
  public var registry: Bool
  /// How built images are cached, e.g. `content` (by content hash).
  public var cache: String?

  public init(
    concurrency: CallConcurrency = .parallel, implemented: Bool = true, note: String? = nil, registry: Bool = false,
    cache: String? = nil
  ) {
    self.concurrency = concurrency
    self.implemented = implemented
    self.note = note
    self.registry = registry
    self.cache = cache
  }

  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    concurrency = try c.decodeIfPresent(CallConcurrency.self, forKey: .concurrency) ?? .parallel
    implemented = try c.decodeIfPresent(Bool.self, forKey: .implemented) ?? true
    note = try c.decodeIfPresent(String.self, forKey: .note)
    registry = try c.decodeIfPresent(Bool.self, forKey: .registry) ?? false
    cache = try c.decodeIfPresent(String.self, forKey: .cache)
  }

  /// As `PluginService.capabilities` declares it.
  public var json: JSONValue { CapabilityKeys.json(self) }
}
