import PluginKit
import PluginSupport

/// `<backend>.warm_pool:` (`gce.warm_pool`, `docker.warm_pool`, `process.warm_pool`, …): idle
/// workers kept to take the next job without a fresh launch. Off unless `enabled: true`.
public struct WarmPoolConfig: Sendable, Equatable {
  public var enabled = false
  public var maxInstances = 2
  /// How long a worker waits idle before it is deleted. Written as `idle_timeout_minutes`
  /// (upstream, 5…120) or `idle_timeout_seconds` (precise, 1…86400), never both.
  public var idleTimeoutSeconds = 30 * 60
  /// Profiles that may use the pool; empty means every profile.
  public var profiles: [String] = []
  /// Total lifetime of a pooled worker, whatever it is doing. Written as `watchdog_seconds`
  /// (upstream, at least 3600) or `lifetime_seconds` (1…604800), never both.
  public var lifetimeSeconds = 21600
  /// Globs kept between jobs on a reused worker (compiler caches and the like).
  public var preservePaths: [String] = []

  public init() {}

  /// Upstream's unit, for `config show` and people who wrote minutes.
  public var idleTimeoutMinutes: Int { idleTimeoutSeconds / 60 }
  /// Upstream's name for the lifetime.
  public var watchdogSeconds: Int { lifetimeSeconds }

  static let keys = [
    "enabled", "max_instances", "idle_timeout_minutes", "idle_timeout_seconds", "profiles", "watchdog_seconds",
    "lifetime_seconds", "preserve_paths",
  ]
  static let maxInstancesBound = ConfigBound<Int>.range(1...10)
  static let idleMinutesBound = ConfigBound<Int>.range(5...120)
  static let idleSecondsBound = ConfigBound<Int>.range(1...86_400)
  static let watchdogBound = ConfigBound<Int>.atLeast(3600)
  static let lifetimeBound = ConfigBound<Int>.range(1...604_800)

  init(reading section: ConfigSection?) {
    guard let section else { return }
    enabled = section.bool("enabled", default: enabled)
    maxInstances = section.int("max_instances", default: maxInstances, Self.maxInstancesBound)
    // A 0 is refused by the bounds, never read as "no timeout" (upstream #8).
    switch section.alias("idle_timeout_seconds", "idle_timeout_minutes") {
    case "idle_timeout_seconds"?:
      idleTimeoutSeconds = section.int("idle_timeout_seconds", default: idleTimeoutSeconds, Self.idleSecondsBound)
    case "idle_timeout_minutes"?:
      idleTimeoutSeconds = 60 * section.int("idle_timeout_minutes", default: idleTimeoutMinutes, Self.idleMinutesBound)
    default: break
    }
    switch section.alias("lifetime_seconds", "watchdog_seconds") {
    case "lifetime_seconds"?:
      lifetimeSeconds = section.int("lifetime_seconds", default: lifetimeSeconds, Self.lifetimeBound)
    case "watchdog_seconds"?:
      lifetimeSeconds = section.int("watchdog_seconds", default: lifetimeSeconds, Self.watchdogBound)
    default: break
    }
    profiles = section.strings("profiles")
    preservePaths = Self.preservePaths(section)
  }

  /// The worker keeps only `inputs/<path>` or `outputs/<path>` between jobs (docs/warm-pool.md).
  /// Upstream's VM paths (`/tmp/triton*`) are accepted as written but have no effect: noted
  /// and left out, rather than refused, so an upstream goldfish.yaml still loads.
  private static func preservePaths(_ section: ConfigSection) -> [String] {
    let written = section.strings("preserve_paths")
    for (index, path) in written.enumerated() where (try? PreservePath(path)) == nil {
      section.problems.note(
        "\(section.key("preserve_paths"))[\(index)]",
        "\"\(path)\" is ignored: a worker keeps only inputs/<path> or outputs/<path> between jobs")
    }
    return written.filter { (try? PreservePath($0)) != nil }
  }

  /// Whether runs of `profile` may take a pooled worker.
  public func isEnabled(for profile: String) -> Bool {
    enabled && (profiles.isEmpty || profiles.contains(profile))
  }

  var json: JSONValue {
    [
      "enabled": .bool(enabled), "max_instances": .number(maxInstances),
      "idle_timeout_seconds": .number(idleTimeoutSeconds), "profiles": .list(profiles),
      "lifetime_seconds": .number(lifetimeSeconds), "preserve_paths": .list(preservePaths),
    ]
  }
}
