import PluginKit

/// `gce:`: the Compute Engine project, where to look for capacity, and how hard to look.
public struct GCEConfig: Sendable, Equatable {
  public enum PreemptiblePreference: String, Sendable, CaseIterable {
    case onDemandFirst = "on_demand_first"
    case spotFirst = "spot_first"
  }

  /// Written as `project_id` or `project`.
  public var projectID: String?
  /// Written as `artifact_registry` or `image_uri`.
  public var artifactRegistry: String?
  /// Zones to search, overriding the built-in profiles' zones (a profile's own zones still win).
  public var zones: [String]?
  public var region: String?
  /// Written as `profile_overrides` or `profiles`: profile name → partial profile. Resolved
  /// into `GoldfishConfig.profiles`; kept raw here so `config show` gives back what was written.
  public var profileOverrides: [String: JSONValue] = [:]
  public var serviceAccount: String?
  public var gpuPreference = ["h100", "a100", "none"]
  public var preemptiblePreference = PreemptiblePreference.onDemandFirst
  public var searchTimeoutSec = 900
  public var initialBackoffSec = 10.0
  public var backoffMultiplier = 1.5
  public var maxAttempts = 150
  /// Overrides `defaults.capacity_wait_seconds` for this backend when set.
  public var capacityWaitSeconds: Int?
  public var warmPool = WarmPoolConfig()

  public init() {}

  /// Where images are pushed: the configured registry, or the conventional one of the project.
  public var effectiveArtifactRegistry: String? {
    artifactRegistry ?? projectID.map { "us-docker.pkg.dev/\($0)/goldfish" }
  }

  static let gpuTypes = ["h100", "a100", "t4", "v100", "none"]

  static let keys = [
    "project_id", "project", "artifact_registry", "image_uri", "zones", "region", "profile_overrides", "profiles",
    "service_account", "gpu_preference", "preemptible_preference", "search_timeout_sec", "initial_backoff_sec",
    "backoff_multiplier", "max_attempts", "capacity_wait_seconds", "warm_pool", "gcs_bucket",
    // Read by the gce backend itself (Plugins/GCE/GCESettings.swift), passed through untouched.
    "api_endpoint", "mailbox_prefix", "storage_endpoint", "auth", "credentials_file", "agent_uri",
    "operation_poll_seconds", "operation_timeout_seconds",
  ]

  /// The key path the profile overrides were written under, for error messages.
  var profileOverridesPath: String?

  init(reading section: ConfigSection) {
    if let key = section.alias("project_id", "project") { projectID = section.optionalString(key) }
    if let key = section.alias("artifact_registry", "image_uri") { artifactRegistry = section.optionalString(key) }
    zones = section.optionalStrings("zones")
    if zones?.isEmpty == true {
      section.problems.add(
        ConfigError.invalid(
          section.document, section.key("zones"), "is an empty list",
          hint: "name at least one zone, or leave the key out"))
      zones = nil
    }
    region = section.optionalString("region")
    if let key = section.alias("profile_overrides", "profiles"), let value = section.value(key) {
      if let overrides = value.objectValue {
        profileOverrides = overrides
        profileOverridesPath = section.key(key)
      } else {
        section.problems.add(
          ConfigError.wrongType(
            section.document, section.key(key), expected: "a mapping of profile names to profiles", found: value))
      }
    }
    serviceAccount = section.optionalString("service_account")
    gpuPreference = section.choices("gpu_preference", from: Self.gpuTypes, default: gpuPreference)
    preemptiblePreference = section.choice("preemptible_preference", default: preemptiblePreference)
    searchTimeoutSec = section.int("search_timeout_sec", default: searchTimeoutSec, .seconds)
    initialBackoffSec = section.number("initial_backoff_sec", default: initialBackoffSec, .above(0))
    backoffMultiplier = section.number("backoff_multiplier", default: backoffMultiplier, .atLeast(1))
    maxAttempts = section.int("max_attempts", default: maxAttempts, .atLeast(1))
    capacityWaitSeconds = section.optionalInt("capacity_wait_seconds", .seconds)
    warmPool = WarmPoolConfig(reading: section.section("warm_pool", keys: WarmPoolConfig.keys))
    if zones == nil && region == nil {
      section.problems.note(section.path, "neither zones nor region is set: the built-in profiles' zones are used")
    }
    if artifactRegistry == nil {
      section.problems.note(
        section.path,
        projectID.map { "no artifact_registry: images go to us-docker.pkg.dev/\($0)/goldfish" }
          ?? "no project_id and no artifact_registry: images cannot be pushed to a registry")
    }
  }

  var json: JSONValue {
    [
      "project_id": .optional(projectID), "artifact_registry": .optional(artifactRegistry), "zones": .optional(zones),
      "region": .optional(region), "profile_overrides": .object(profileOverrides),
      "service_account": .optional(serviceAccount), "gpu_preference": .list(gpuPreference),
      "preemptible_preference": .string(preemptiblePreference.rawValue),
      "search_timeout_sec": .number(searchTimeoutSec),
      "initial_backoff_sec": .double(initialBackoffSec), "backoff_multiplier": .double(backoffMultiplier),
      "max_attempts": .number(maxAttempts), "capacity_wait_seconds": .optional(capacityWaitSeconds),
      "warm_pool": warmPool.json,
    ]
  }
}
