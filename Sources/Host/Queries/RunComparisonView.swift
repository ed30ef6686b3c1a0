import Foundation
import PluginKit

/// Two or more runs side by side, as the web face's compare page and `/api/v1/.../compare`
/// show them: each run, the config of every run against the first's (`ConfigDiff`), the delta of
/// every metric's last value against the first's, and each shared metric's series per run,
/// downsampled like `metrics` so curves can be overlaid.
public struct RunComparisonView: Encodable, Sendable {
  public struct Entry: Encodable, Sendable {
    public var run: StageRunView
    public var config: JSONValue?
    /// Against the first run's config; nil for the first run.
    public var configDiff: ConfigDiff?
    public var lastValues: [String: Double]
    /// This run's last value minus the first run's, per metric both logged.
    public var deltas: [String: Double]

    enum CodingKeys: String, CodingKey {
      case run, config, configDiff = "config_diff", lastValues = "last_values", deltas
    }
  }

  public struct Curve: Encodable, Sendable {
    public var metric: String
    /// One series per run that logged it, in the order the runs were given.
    public var series: [MetricSeriesView.Series]
    public var runs: [String]
  }

  public var entries: [Entry]
  public var curves: [Curve]

  public static let runRange = 2...8
}

extension RunQueries {
  public func compare(_ ids: [String], points: Int = 300) throws(GoldfishError) -> RunComparisonView {
    guard RunComparisonView.runRange.contains(ids.count) else {
      throw GoldfishError(
        .invalidArgument, "compare takes 2 to 8 runs; \(ids.count) were given",
        hint: "name the runs to compare, e.g. runs=stage-a,stage-b")
    }
    let runs = try ids.map { id throws(GoldfishError) in try run(id) }
    // Read as the run page reads them (rollups for long series), so comparing a run of a
    // million points costs what one chart does.
    let series = try runs.map { run throws(GoldfishError) in
      try SeriesCache.read(self, run.id, name: nil, points: points).metrics
    }
    let configs = runs.map { $0.config.flatMap { try? JSONCoding.parse($0) } }
    let firstLast = Dictionary(series[0].map { ($0.name, $0.last) }, uniquingKeysWith: { first, _ in first })
    var entries: [RunComparisonView.Entry] = []
    for (index, run) in runs.enumerated() {
      let last = Dictionary(series[index].map { ($0.name, $0.last) }, uniquingKeysWith: { first, _ in first })
      var deltas: [String: Double] = [:]
      for (name, value) in last { if let base = firstLast[name] { deltas[name] = value - base } }
      entries.append(
        .init(
          run: StageRunView(run), config: configs[index],
          configDiff: index == 0 ? nil : ConfigDiff(from: configs[0], to: configs[index]), lastValues: last,
          deltas: index == 0 ? [:] : deltas))
    }
    var names: [String] = []
    for metrics in series { for metric in metrics where !names.contains(metric.name) { names.append(metric.name) } }
    let curves = names.map { name in
      var kept: [MetricSeriesView.Series] = []
      var owners: [String] = []
      for (index, metrics) in series.enumerated() {
        if let metric = metrics.first(where: { $0.name == name }) {
          kept.append(metric)
          owners.append(runs[index].id)
        }
      }
      return RunComparisonView.Curve(metric: name, series: kept, runs: owners)
    }
    return RunComparisonView(entries: entries, curves: curves)
  }
}
