import Foundation
import PluginKit

/// Exponential backoff with full jitter, bounded by attempts and by total time. Only
/// errors marked retryable (429, 5xx, dropped connections, timeouts) are tried again:
/// a 4xx caused by the request would fail the same way every time.
public struct RetryPolicy: Sendable {
  public var baseDelay: Double
  public var maxDelay: Double = 16
  public var maxAttempts: Int
  public var totalSeconds: Double

  public init(baseDelay: Double, maxDelay: Double = 16, maxAttempts: Int, totalSeconds: Double) {
    self.baseDelay = baseDelay
    self.maxDelay = maxDelay
    self.maxAttempts = maxAttempts
    self.totalSeconds = totalSeconds
  }

  /// Runs `body` until it succeeds, fails for good, or the budget is spent. `body` gets
  /// the attempt number (0 first) so a resumable transfer can ask where it stands.
  public func run<T>(_ what: String, _ body: (Int) throws(PluginError) -> T) throws(PluginError) -> T {
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
