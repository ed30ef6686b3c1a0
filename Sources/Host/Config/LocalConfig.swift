import PluginKit

/// `local:`: how the local backend stands in for the cloud (storage, compute, signalling), so
/// a pipeline can be tried on one machine with cloud-like behaviour.
public struct LocalConfig: Sendable, Equatable {
  public struct Storage: Sendable, Equatable {
    public var root = ".local_gcs"
    /// Delay before a written object is visible, to surface code that assumes instant consistency.
    public var consistencyDelayMS = 0
    public var sizeLimitMB: Int?
    static let keys = ["root", "consistency_delay_ms", "size_limit_mb"]
  }

  public struct Compute: Sendable, Equatable {
    public var dockerSocket = "/var/run/docker.sock"
    /// Preempt a run after this long, to rehearse spot behaviour; absent means never.
    public var simulatePreemptionAfterSeconds: Int?
    public var preemptionGracePeriodSeconds = 30
    /// Zone → available; the first available zone is used, none available is a capacity error.
    public var zoneAvailability = ["local-zone-1": true]
    static let keys = [
      "docker_socket", "simulate_preemption_after_seconds", "preemption_grace_period_seconds", "zone_availability",
    ]
  }

  public struct Signaling: Sendable, Equatable {
    public var metadataFile = ".local_metadata.json"
    public var sizeLimitBytes = 262_144
    public var latencyMS = 0
    static let keys = ["metadata_file", "size_limit_bytes", "latency_ms"]
  }

  public var storage = Storage()
  public var compute = Compute()
  public var signaling = Signaling()

  public init() {}

  static let keys = ["storage", "compute", "signaling"]

  init(reading section: ConfigSection?) {
    guard let section else { return }
    if let read = section.section("storage", keys: Storage.keys) {
      storage.root = read.relativePath("root", default: storage.root)
      storage.consistencyDelayMS = read.int("consistency_delay_ms", default: 0, .atLeast(0))
      storage.sizeLimitMB = read.optionalInt("size_limit_mb", .atLeast(1))
    }
    if let read = section.section("compute", keys: Compute.keys) {
      compute.dockerSocket = read.string("docker_socket", default: compute.dockerSocket)
      compute.simulatePreemptionAfterSeconds = read.optionalInt("simulate_preemption_after_seconds", .atLeast(1))
      compute.preemptionGracePeriodSeconds = read.int(
        "preemption_grace_period_seconds", default: compute.preemptionGracePeriodSeconds, .atLeast(0))
      compute.zoneAvailability = read.boolMap("zone_availability") ?? compute.zoneAvailability
    }
    if let read = section.section("signaling", keys: Signaling.keys) {
      signaling.metadataFile = read.relativePath("metadata_file", default: signaling.metadataFile)
      signaling.sizeLimitBytes = read.int("size_limit_bytes", default: signaling.sizeLimitBytes, .atLeast(1))
      signaling.latencyMS = read.int("latency_ms", default: 0, .atLeast(0))
    }
  }

  var json: JSONValue {
    [
      "storage": [
        "root": .string(storage.root), "consistency_delay_ms": .number(storage.consistencyDelayMS),
        "size_limit_mb": .optional(storage.sizeLimitMB),
      ],
      "compute": [
        "docker_socket": .string(compute.dockerSocket),
        "simulate_preemption_after_seconds": .optional(compute.simulatePreemptionAfterSeconds),
        "preemption_grace_period_seconds": .number(compute.preemptionGracePeriodSeconds),
        "zone_availability": .optional(compute.zoneAvailability),
      ],
      "signaling": [
        "metadata_file": .string(signaling.metadataFile), "size_limit_bytes": .number(signaling.sizeLimitBytes),
        "latency_ms": .number(signaling.latencyMS),
      ],
    ]
  }
}
