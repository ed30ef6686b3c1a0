import PluginKit

/// `gce.warm_pool:`: idle VMs kept to take the next job without a fresh launch.
public struct WarmPoolConfig: Sendable, Equatable {
  public var enabled = false
  public var maxInstances = 2
  public var idleTimeoutMinutes = 30
  /// Profiles that may use the pool; empty means every profile.
  public var profiles: [String] = []
  /// Total lifetime of a pooled VM, whatever it is doing.
  public var watchdogSeconds = 21600
  /// Globs kept between jobs on a reused VM (compiler caches and the like).
  public var preservePaths: [String] = []

  public init() {}

  static let keys = [
    "enabled", "max_instances", "idle_timeout_minutes", "profiles", "watchdog_seconds", "preserve_paths",
  ]

  init(reading section: ConfigSection?) {
    guard let section else { return }
    enabled = section.bool("enabled", default: enabled)
    maxInstances = section.int("max_instances", default: maxInstances, .range(1...10))
    idleTimeoutMinutes = section.int("idle_timeout_minutes", default: idleTimeoutMinutes, .range(5...120))
    profiles = section.strings("profiles")
    watchdogSeconds = section.int("watchdog_seconds", default: watchdogSeconds, .atLeast(3600))
    preservePaths = section.strings("preserve_paths")
  }

  /// Whether runs of `profile` may take a pooled VM.
  public func isEnabled(for profile: String) -> Bool {
    enabled && (profiles.isEmpty || profiles.contains(profile))
  }

  var json: JSONValue {
    [
      "enabled": .bool(enabled), "max_instances": .number(maxInstances),
      "idle_timeout_minutes": .number(idleTimeoutMinutes), "profiles": .list(profiles),
      "watchdog_seconds": .number(watchdogSeconds), "preserve_paths": .list(preservePaths),
    ]
  }
}
