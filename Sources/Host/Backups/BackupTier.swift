import Foundation

/// Grandfather-father-son tiers, as upstream keeps them: the first backup of a month is kept a
/// year, of a week a month, of a day a week; every other one is an `event` kept a day (at most
/// `backup.event_max` of them).
public enum BackupTier: String, Sendable, Codable, CaseIterable {
  case monthly, weekly, daily, event

  /// The tier of a backup taken at `date`, given the tiers of the backups (kept, completed)
  /// already taken in the same calendar periods.
  static func choose(at date: Date, existing: (BackupTier, ClosedRange<Date>) -> Bool) -> BackupTier {
    for tier in [BackupTier.monthly, .weekly, .daily] {
      if let period = period(of: tier, containing: date), !existing(tier, period) { return tier }
    }
    return .event
  }

  /// The UTC month, ISO week or day that holds `date`.
  static func period(of tier: BackupTier, containing date: Date) -> ClosedRange<Date>? {
    var calendar = Calendar(identifier: .iso8601)
    calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
    let component: Calendar.Component
    switch tier {
    case .monthly: component = .month
    case .weekly: component = .weekOfYear
    case .daily: component = .day
    case .event: return nil
    }
    guard let interval = calendar.dateInterval(of: component, for: date) else { return nil }
    return interval.start...interval.end.addingTimeInterval(-0.001)
  }

  /// Which triggers skip the rate limit: the moments after which losing the database loses the
  /// most (a new line of work, a saved version, a deleted workspace), and a person asking.
  static func bypassesRateLimit(_ trigger: String) -> Bool {
    ["create_workspace", "save_version", "delete_workspace", "manual"].contains(trigger)
  }
}
