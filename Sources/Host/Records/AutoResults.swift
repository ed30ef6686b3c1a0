import PluginKit

/// A run's result as its own metrics tell it, before the agent finalizes it (`results_auto`):
/// the last value of the spec's primary metric, and of each secondary metric the run logged.
/// Without a spec nothing is guessed: which metric matters is the agent's call.
public enum AutoResults {
  /// `{primary_metric, value, direction, dataset_split, secondary?}`, or nil when the run never
  /// logged its primary metric (or logged no finite value for it).
  public static func compute(spec: ResultsSpec, summaries: [MetricSummary]) -> JSONValue? {
    let last = Dictionary(summaries.map { ($0.name, $0.lastValue) }, uniquingKeysWith: { _, newer in newer })
      .filter { $0.value.isFinite }
    guard let value = last[spec.primaryMetric] else { return nil }
    var fields: [String: JSONValue] = [
      "primary_metric": .string(spec.primaryMetric), "value": .double(value),
      "direction": .string(spec.direction.rawValue), "dataset_split": .string(spec.datasetSplit.rawValue),
    ]
    let secondary = spec.secondaryMetrics.compactMap { name in last[name].map { (name, JSONValue.double($0)) } }
    if !secondary.isEmpty {
      fields["secondary"] = .object(Dictionary(secondary, uniquingKeysWith: { first, _ in first }))
    }
    return .object(fields)
  }
}
