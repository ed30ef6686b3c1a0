import Foundation
import PluginKit

/// Exponential backoff with full jitter, bounded by attempts and by total time. Only
/// errors marked retryable (429, 5xx, dropped connections, timeouts) are tried again:
/// a 4xx caused by the request would fail the same way every time.
struct RetryPolicy: Sendable {
  var baseDelay: Double
  var maxDelay: Double = 16
  var maxAttempts: Int
  var totalSeconds: Double

  /// Runs `body` until it succeeds, fails for good, or the budget is spent. `body` gets
  /// the attempt number (0 first) so a resumable transfer can ask where it stands.
  func run<T>(_ what: String, _ body: (Int) throws(PluginError) -> T) throws(PluginError) -> T {
    let started = Date()
    var attempt = 0
    while true {
      do throws(PluginError) {
        return try body(attempt)
      } catch {
        attempt += 1
        let delay = Double.random(in: 0...min(maxDelay, baseDelay * pow(2, Double(attempt - 1))))
        let elapsed = Date().timeIntervalSince(started)
        guard error.retryable, attempt < maxAttempts, elapsed + delay < totalSeconds else {
          guard error.retryable else { throw error }
          var final = error
          final.message += " (gave up on \(what) after \(attempt) attempts in \(Int(elapsed)) s)"
          final.detail["attempts"] = .int(Int64(attempt))
          throw final
        }
        Thread.sleep(forTimeInterval: delay)
      }
    }
  }
}
