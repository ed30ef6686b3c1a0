import Foundation
import PluginKit

/// The `svs.metric_health_*` keys: deterministic rules over a running stage's metrics (no AI).
/// Metrics are read as losses: lower is better.
public struct MetricHealthConfig: Sendable, Equatable {
  public var enabled = true
  /// Regular expressions (searched in the name) selecting the metrics the rules watch.
  public var metrics = ["loss"]
  /// Divergence: the last `divergencePoints` values all above the best so far times this factor.
  public var divergenceFactor = 3.0
  public var divergencePoints = 3
  /// Stall: no new best in the last this many points (0 turns the rule off).
  public var stallWindow = 0
  /// A breach of an error rule (non-finite value, divergence) asks the stage to stop: the stop
  /// file goldfish.io's should_stop() reads. Off by default: breaches are only recorded.
  public var autoStop = false

  public init() {}

  static let keys = [
    "metric_health_enabled", "metric_health_metrics", "metric_health_divergence_factor",
    "metric_health_divergence_points", "metric_health_stall_window", "metric_health_auto_stop",
  ]

  init(reading section: ConfigSection?) {
    guard let section else { return }
    enabled = section.bool("metric_health_enabled", default: enabled)
    if let patterns = section.optionalStrings("metric_health_metrics") {
      for (index, pattern) in patterns.enumerated() where (try? NSRegularExpression(pattern: pattern)) == nil {
        section.problems.add(
          ConfigError.invalid(
            section.document, "\(section.key("metric_health_metrics"))[\(index)]",
            "\"\(pattern)\" is not a valid regular expression", hint: "e.g. \"loss\" watches every metric named …loss…")
        )
      }
      metrics = patterns
    }
    divergenceFactor = section.number("metric_health_divergence_factor", default: divergenceFactor, .above(1))
    divergencePoints = section.int("metric_health_divergence_points", default: divergencePoints, .range(1...10_000))
    stallWindow = section.int("metric_health_stall_window", default: stallWindow, .range(0...1_000_000))
    autoStop = section.bool("metric_health_auto_stop", default: autoStop)
  }

  var json: [String: JSONValue] {
    [
      "metric_health_enabled": .bool(enabled), "metric_health_metrics": .list(metrics),
      "metric_health_divergence_factor": .double(divergenceFactor),
      "metric_health_divergence_points": .number(divergencePoints), "metric_health_stall_window": .number(stallWindow),
      "metric_health_auto_stop": .bool(autoStop),
    ]
  }

  func watches(_ name: String) -> Bool {
    metrics.contains { pattern in
      (try? NSRegularExpression(pattern: pattern))?.firstMatch(
        in: name, range: NSRange(name.startIndex..., in: name)) != nil
    }
  }
}
