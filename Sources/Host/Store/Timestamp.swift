import Foundation

/// Times are stored as RFC 3339 UTC text with milliseconds, which sorts correctly as text.
public enum Timestamp {
  public static func now() -> String { format(Date()) }

  public static func format(_ date: Date) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return formatter.string(from: date)
  }
}
