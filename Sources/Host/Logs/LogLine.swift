import Foundation

/// One line of a log file read for the search: its time, level and logger when the line says
/// them, and the text. Goldfish's own lines are swift-log's stream format
/// (`2026-12-03T16:09:00+0000 warning goldfish.runs: k=v [Host] text`); stage output is whatever
/// the stage printed, so its level comes from its words (`ERROR`, `error:`, `Traceback`).
struct LogLine {
  var time: Date?
  var level: LogEntryLevel?
  var logger: String?
  var message: String

  static func parse(_ line: Substring) -> LogLine {
    guard let first = line.first, first.isNumber else {
      return LogLine(time: nil, level: inferredLevel(line), logger: nil, message: String(line))
    }
    let tokens = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
    // swift-log: time, level, "label:", rest.
    if tokens.count >= 3, let time = parseTimestamp(String(tokens[0])),
      let level = LogEntryLevel(rawValue: String(tokens[1])),
      tokens[2].hasSuffix(":")
    {
      let rest = tokens.count > 3 ? String(tokens[3]) : ""
      return LogLine(time: time, level: level, logger: String(tokens[2].dropLast()), message: rest)
    }
    // Another leading time: "date time" (Python logging's default), or ISO-8601 in one token.
    if tokens.count >= 2, let time = parseTimestamp(tokens[0] + " " + tokens[1]) {
      let rest = tokens.dropFirst(2).joined(separator: " ")
      return LogLine(time: time, level: inferredLevel(Substring(rest)), logger: nil, message: rest)
    }
    if let time = parseTimestamp(String(tokens[0])) {
      let rest = tokens.dropFirst().joined(separator: " ")
      return LogLine(time: time, level: inferredLevel(Substring(rest)), logger: nil, message: rest)
    }
    return LogLine(time: nil, level: inferredLevel(line), logger: nil, message: String(line))
  }

  /// The level a line's own words give, or nil (the caller uses `info`).
  static func inferredLevel(_ line: Substring) -> LogEntryLevel? {
    if line.hasPrefix("error:") || line.hasPrefix("Traceback") || line.hasPrefix("fatal:") { return .error }
    if line.hasPrefix("warning:") { return .warning }
    for word in line.prefix(120).split(whereSeparator: { !$0.isLetter }).prefix(6) {
      switch word {
      case "CRITICAL", "FATAL": return .critical
      case "ERROR": return .error
      case "WARNING", "WARN": return .warning
      case "DEBUG": return .debug
      case "INFO": return .info
      default: continue
      }
    }
    return nil
  }

  nonisolated(unsafe) private static let iso: ISO8601DateFormatter = {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return formatter
  }()
  nonisolated(unsafe) private static let isoWhole = ISO8601DateFormatter()
  nonisolated(unsafe) private static let patterns: [DateFormatter] = [
    "yyyy-MM-dd'T'HH:mm:ssZ", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd HH:mm:ss,SSS", "yyyy-MM-dd HH:mm:ss.SSS",
    "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd",
  ].map { pattern in
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "UTC")
    formatter.dateFormat = pattern
    return formatter
  }

  /// A time in one of the shapes logs and people write; nil when the text is not one. Times
  /// without a zone are UTC (containers and Goldfish's own timestamps are).
  static func parseTimestamp(_ text: String) -> Date? {
    guard text.count >= 10, text.count <= 40, text.first?.isNumber == true else { return nil }
    if let date = iso.date(from: text) ?? isoWhole.date(from: text) { return date }
    for formatter in patterns {
      if let date = formatter.date(from: text) { return date }
    }
    return nil
  }
}
