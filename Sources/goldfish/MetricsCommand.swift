import ArgumentParser
import Foundation
import Host

/// `goldfish metrics RUN`: a run's metric series, downsampled by Host as MCP `metrics` does.
struct MetricsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "metrics",
    abstract: "Print a run's metric series (live while it runs), at most --points points per metric.",
    discussion: """
      A longer series is cut into points/2 buckets of consecutive points; each keeps its lowest and \
      highest point, so the minimum and maximum always show.
      """)
  @OptionGroup var projectOptions: ProjectOptions
  @Argument(help: "A stage run id (stage-…).") var runID: String
  @Option(help: "Only this metric.") var name: String?
  @Option(help: "At most this many points per metric (2–10000).") var points = MetricSeriesView.defaultPoints
  @Flag(help: "Print JSON (the MCP metrics tool's answer).") var json = false

  func run() throws {
    let project = try projectOptions.openProject()
    let view = try RunQueries(services: try ExecutionServices.open(project)).metricSeries(
      runID, name: name, points: points)
    if json { return try Console.json(view) }
    if view.metrics.isEmpty { Console.print("\(view.runID) (\(view.state)): no metrics logged yet") }
    for series in view.metrics {
      let shown = series.downsampled ? ", \(series.points.count) shown" : ""
      Console.print(
        "\(series.name): \(series.count) points\(shown), min \(series.min), max \(series.max), last \(series.last)")
      for point in series.points {
        Console.print("  \(point.step.map(String.init) ?? "-")\t\(point.value)\t\(point.timestamp)")
      }
    }
  }
}
