import Foundation
import Host

/// `logs(follow: true)`: where each run's reader stopped, per server process. Bounded, and a
/// run's cursor is dropped once its log is complete.
final class LogCursors: @unchecked Sendable {
  static let shared = LogCursors()
  private let lock = NSLock()
  private var positions: [String: Int64] = [:]
  private let capacity = 1000

  func position(_ run: String) -> Int64? { lock.withLock { positions[run] } }

  func set(_ run: String, _ position: Int64?) {
    lock.withLock {
      if positions.count >= capacity, positions[run] == nil, let first = positions.keys.first {
        positions.removeValue(forKey: first)
      }
      positions[run] = position
    }
  }
}

/// `logs(since:)`: lines stamped before a time are dropped; unstamped lines are kept.
enum LogFilter {
  static func lines(_ text: String, since: String) -> String {
    guard let cutoff = parse(since) else { return text }
    return text.split(separator: "\n", omittingEmptySubsequences: false).filter { line in
      let token = line.split(separator: " ", maxSplits: 1).first.map(String.init) ?? ""
      let trimmed = token.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
      guard let stamp = parse(trimmed) else { return true }
      return stamp >= cutoff
    }.joined(separator: "\n")
  }

  static func parse(_ text: String) -> Date? {
    if let date = Timestamp.parse(text) { return date }
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    return formatter.date(from: text)
  }
}
