import PluginKit

/// `defaults:`: time budgets of a stage run, used when a stage does not set its own.
public struct DefaultsConfig: Sendable, Equatable {
  /// Longest a stage may run.
  public var timeoutSeconds = 3600
  /// How often logs are copied back while a run is going.
  public var logSyncInterval = 10
  /// Informational, as upstream: the backend is chosen by `jobs.backend`.
  public var backend: String?
  /// How long a launch may wait for cloud capacity.
  public var capacityWaitSeconds = 600
  /// The whole LAUNCHING budget; it includes the capacity wait, so it can never be shorter.
  public var launchTimeoutSeconds = 2700
  /// How long a launching run is left alone before its liveness is checked.
  public var launchingGraceSeconds = 600

  public init() {}

  static let keys = [
    "timeout_seconds", "log_sync_interval", "backend", "capacity_wait_seconds", "launch_timeout_seconds",
    "launching_grace_seconds",
  ]

  init(reading section: ConfigSection?) {
    guard let section else { return }
    timeoutSeconds = section.int("timeout_seconds", default: timeoutSeconds, .seconds)
    logSyncInterval = section.int("log_sync_interval", default: logSyncInterval, .seconds)
    backend = section.optionalString("backend")
    capacityWaitSeconds = section.int("capacity_wait_seconds", default: capacityWaitSeconds, .seconds)
    launchTimeoutSeconds = section.int("launch_timeout_seconds", default: launchTimeoutSeconds, .seconds)
    launchingGraceSeconds = section.int(
      "launching_grace_seconds", default: launchingGraceSeconds, .seconds(atLeast: 60))
    if launchTimeoutSeconds < capacityWaitSeconds {
      let key = section.has("launch_timeout_seconds") ? "launch_timeout_seconds" : "capacity_wait_seconds"
      section.problems.add(
        ConfigError.outOfRange(
          section.document, section.key(key),
          value: "launch_timeout_seconds \(launchTimeoutSeconds) < capacity_wait_seconds \(capacityWaitSeconds)",
          allowed: "launch_timeout_seconds at least capacity_wait_seconds (the launch budget includes the wait)"))
    }
  }

  var json: JSONValue {
    [
      "timeout_seconds": .number(timeoutSeconds), "log_sync_interval": .number(logSyncInterval),
      "backend": .optional(backend), "capacity_wait_seconds": .number(capacityWaitSeconds),
      "launch_timeout_seconds": .number(launchTimeoutSeconds),
      "launching_grace_seconds": .number(launchingGraceSeconds),
    ]
  }
}
