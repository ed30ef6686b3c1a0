import Foundation

/// What `search_goldfish_logs` and `goldfish logs search` ask for: filters over Goldfish's own
/// logs (driver logs, stage run output and image build logs in the run folders, the audit journal
/// and the state transitions of stage runs), with a bounded answer.
public struct LogSearchQuery: Sendable {
  /// Where an entry comes from.
  public enum Source: String, Sendable, CaseIterable, Codable {
    /// `<runs>/<prun-…>/driver.log`: what the detached driver of a pipeline run logged.
    case driver
    /// `<work dir>/run.log`: a stage's own output.
    case run
    /// `<work dir>/build.log`: the stage image's build output.
    case build
    /// The audit table: every mutating operation and why.
    case audit
    /// `stage_state_transitions`: every state change of every stage run, with its reason.
    case transitions
  }

  public enum Order: String, Sendable, CaseIterable { case newest, oldest }

  public static let defaultLimit = 100
  public static let maximumLimit = 1000

  public var since: Date?
  public var until: Date?
  /// Entries at this level or above.
  public var minimumLevel: LogEntryLevel?
  /// A stage run (its output, build log and transitions) or a pipeline run (its driver log and
  /// every stage run of it).
  public var runID: String?
  public var stage: String?
  public var workspace: String?
  /// A substring, matched without regard to case.
  public var text: String?
  /// A regular expression (ICU syntax) the message must match.
  public var pattern: String?
  public var sources: Set<Source> = Set(Source.allCases)
  public var limit = LogSearchQuery.defaultLimit
  public var order = Order.newest

  public init() {}

  /// Reads `since`/`until`: an ISO-8601 time (`2026-12-03T16:00:00Z`, a date alone is midnight
  /// UTC), or a span back from now (`30s`, `15m`, `2h`, `7d`, like LogsQL's `_time:5m`).
  public static func time(_ text: String, name: String, now: Date = Date()) throws(GoldfishError) -> Date {
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    if let last = trimmed.last, let unit = ["s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0][String(last)],
      let amount = Double(trimmed.dropLast()), amount >= 0, amount < 1e7
    {
      return now.addingTimeInterval(-amount * unit)
    }
    if let date = LogLine.parseTimestamp(trimmed) { return date }
    throw GoldfishError(
      .invalidArgument, "\(name) \"\(text)\" is neither a time nor a span",
      hint: "give an ISO-8601 time (2026-12-03T16:00:00Z) or a span back from now (30s, 15m, 2h, 7d)")
  }

  /// Checks the values no type can: the limit, the regular expression, the run id.
  public func validated() throws(GoldfishError) -> LogSearchQuery {
    guard (1...Self.maximumLimit).contains(limit) else {
      throw GoldfishError(
        .invalidArgument, "limit \(limit) is out of range", hint: "give 1 to \(Self.maximumLimit)")
    }
    if let pattern {
      do { _ = try NSRegularExpression(pattern: pattern) } catch {
        throw GoldfishError(
          .invalidArgument, "regex \"\(pattern)\" is not a valid regular expression",
          hint: "use ICU syntax, e.g. \"loss=[0-9.]+\"; for plain text use text instead")
      }
    }
    if let runID, !Self.isRunID(runID) {
      throw GoldfishError(
        .invalidArgument, "run_id \"\(runID)\" is not a run id", hint: "give a stage-… or prun-… id (list_runs)")
    }
    if let since, let until, since > until {
      throw GoldfishError(.invalidArgument, "since is after until", hint: "swap them")
    }
    if sources.isEmpty {
      throw GoldfishError(
        .invalidArgument, "no sources to search",
        hint: "give one or more of: " + Source.allCases.map(\.rawValue).joined(separator: ", "))
    }
    return self
  }

  /// `stage-…` or `prun-…` with only lowercase letters and digits after the dash.
  static func isRunID(_ text: String) -> Bool {
    let rest: Substring
    if text.hasPrefix("stage-") {
      rest = text.dropFirst(6)
    } else if text.hasPrefix("prun-") {
      rest = text.dropFirst(5)
    } else {
      return false
    }
    return (1...64).contains(rest.count) && rest.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) }
  }
}

/// swift-log's levels, which Goldfish's own lines carry; other lines get one from their words.
public enum LogEntryLevel: String, Sendable, CaseIterable, Codable, Comparable {
  case trace, debug, info, notice, warning, error, critical

  var rank: Int { Self.allCases.firstIndex(of: self) ?? 0 }
  public static func < (lhs: LogEntryLevel, rhs: LogEntryLevel) -> Bool { lhs.rank < rhs.rank }

  public static func parse(_ text: String) throws(GoldfishError) -> LogEntryLevel {
    guard let level = LogEntryLevel(rawValue: text.lowercased()) else {
      throw GoldfishError(
        .invalidArgument, "level \"\(text)\" is not a log level",
        hint: "one of: " + allCases.map(\.rawValue).joined(separator: ", "))
    }
    return level
  }
}
