import PluginKit

/// `backup:`: database and versions backups in the project's object storage (docs/backups.md).
public struct BackupConfig: Sendable, Equatable {
  /// Off: no backup is taken, by a trigger or by hand; restore still works.
  public var enabled = true
  /// Backups after create_workspace, save_version, delete_workspace and run.
  public var automatic = true
  /// Triggers other than create_workspace, save_version and delete_workspace wait this long
  /// after the previous backup.
  public var rateLimitSeconds = 300
  public var monthlyRetentionDays = 365
  public var weeklyRetentionDays = 30
  public var dailyRetentionDays = 7
  public var eventRetentionHours = 24
  /// The most event backups kept; older ones are removed by cleanup.
  public var eventMax = 20

  public init() {}

  static let keys = [
    "enabled", "automatic", "rate_limit_seconds", "monthly_retention_days", "weekly_retention_days",
    "daily_retention_days", "event_retention_hours", "event_max",
  ]

  init(reading section: ConfigSection?) {
    guard let section else { return }
    enabled = section.bool("enabled", default: enabled)
    automatic = section.bool("automatic", default: automatic)
    rateLimitSeconds = section.int("rate_limit_seconds", default: rateLimitSeconds, .range(0...86_400))
    monthlyRetentionDays = section.int("monthly_retention_days", default: monthlyRetentionDays, .range(1...36_500))
    weeklyRetentionDays = section.int("weekly_retention_days", default: weeklyRetentionDays, .range(1...36_500))
    dailyRetentionDays = section.int("daily_retention_days", default: dailyRetentionDays, .range(1...36_500))
    eventRetentionHours = section.int("event_retention_hours", default: eventRetentionHours, .range(1...87_600))
    eventMax = section.int("event_max", default: eventMax, .range(1...10_000))
  }

  /// How long a backup of `tier` is kept.
  public func retentionSeconds(_ tier: BackupTier) -> Int {
    switch tier {
    case .monthly: return monthlyRetentionDays * 86_400
    case .weekly: return weeklyRetentionDays * 86_400
    case .daily: return dailyRetentionDays * 86_400
    case .event: return eventRetentionHours * 3_600
    }
  }

  var json: JSONValue {
    [
      "enabled": .bool(enabled), "automatic": .bool(automatic), "rate_limit_seconds": .number(rateLimitSeconds),
      "monthly_retention_days": .number(monthlyRetentionDays), "weekly_retention_days": .number(weeklyRetentionDays),
      "daily_retention_days": .number(dailyRetentionDays), "event_retention_hours": .number(eventRetentionHours),
      "event_max": .number(eventMax),
    ]
  }
}
