import Foundation
import Logging
import PluginKit

/// What one driver remembers of the status polls of its runs, so a plugin that answers badly is
/// seen and bounded: every failed call is logged naming plugin, service and function; a failing
/// run is polled less and less often; and the run ends (terminated, cause `error`, with the
/// plugin's message) after `maxConsecutiveFailures` non-retryable failures in a row, or once no
/// good answer came for the run's own timeout plus a grace period.
final class PollWatch: @unchecked Sendable {
  static let maxConsecutiveFailures = 5
  static let logger = Logger(label: "goldfish.runs")

  private struct Record {
    var lastGood: Date
    var consecutive = 0
    var failures = 0
    var nextPoll = Date.distantPast
  }

  private let lock = NSLock()
  private var records: [String: Record] = [:]

  /// The grace a backend gets past a run's own timeout to report how it ended.
  static func grace(forTimeout seconds: TimeInterval) -> TimeInterval {
    min(300, max(10, seconds / 10))
  }

  /// Whether a run is due for a poll (a failing one waits longer after each failure).
  func isDue(_ runID: String) -> Bool {
    lock.withLock { (records[runID]?.nextPoll ?? .distantPast) <= Date() }
  }

  func succeeded(_ runID: String) {
    lock.withLock { records[runID] = Record(lastGood: Date()) }
  }

  /// Records a failed call; returns why the run must end now, or nil to keep polling.
  func failed(_ runID: String, _ error: PluginCallError, timeout: TimeInterval) -> String? {
    let now = Date()
    let (record, verdict) = lock.withLock { () -> (Record, String?) in
      var record = records[runID] ?? Record(lastGood: now)
      record.failures += 1
      let counts = !error.error.retryable && error.fault != .stuck
      if counts { record.consecutive += 1 }
      record.nextPoll = now.addingTimeInterval(min(8, 0.5 * pow(2, Double(min(record.failures - 1, 4)))))
      records[runID] = record
      let silent = now.timeIntervalSince(record.lastGood)
      let limit = timeout + Self.grace(forTimeout: timeout)
      if record.consecutive >= Self.maxConsecutiveFailures {
        return (record, "\(record.consecutive) calls in a row failed")
      }
      if silent >= limit {
        return (
          record, "no good answer for \(Int(silent)) s (its timeout \(Int(timeout)) s plus \(Int(limit - timeout)) s)"
        )
      }
      return (record, nil)
    }
    // Logged every time at first, then every 20th failure: a stuck handle must not flood the log.
    if record.failures <= Self.maxConsecutiveFailures * 2 || record.failures % 20 == 0 || verdict != nil {
      let text =
        "run \(runID): \(error.service).\(error.function) of plugin \(error.plugin) failed "
        + "(\(error.fault.rawValue), \(error.error.code.rawValue)"
        + "\(error.error.retryable ? ", retryable" : ""), failure \(record.failures)): \(error.error.message)"
      Self.logger.warning(
        "\(text)",
        metadata: [
          "plugin": .string(error.plugin), "service": .string(error.service), "function": .string(error.function),
        ])
    }
    return verdict
  }

  func forget(_ runID: String) {
    lock.withLock { records[runID] = nil }
  }
}
