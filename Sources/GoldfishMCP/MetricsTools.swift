import Foundation
import Host
import MCP
import PluginKit

/// `metrics`: a run's whole metric series, downsampled on the server so a long run's curve
/// fits in one answer with its extremes intact.
enum MetricsTools {
  typealias S = JSONSchema

  static var all: [MCPTool] { [metrics] }

  static let metrics = MCPTool(
    name: "metrics",
    description:
      "A run's metric series (one metric with `name`, else every metric), each downsampled to at most `points` points: consecutive points are grouped in points/2 buckets and each bucket keeps its lowest and highest point, so the minimum and maximum always show. Works while the run runs.",
    parameters: [
      .string("run_id", "A stage run id (stage-…).", required: true),
      .string("name", "Only this metric."),
      .integer(
        "points", "At most this many points per metric (default 500).",
        minimum: MetricSeriesView.pointsRange.lowerBound, maximum: MetricSeriesView.pointsRange.upperBound),
    ],
    output: ["run_id": S.string, "state": S.string, "max_points": S.integer, "metrics": S.array(S.anyObject)],
    annotations: .init(readOnlyHint: true)
  ) { call in
    let runID = try call.required("run_id")
    let name = call.string("name")
    let points = call.int("points") ?? MetricSeriesView.defaultPoints
    return try await call.withProject { project in
      let view = try RunQueries(services: try ExecutionServices.open(project)).metricSeries(
        runID, name: name, points: points)
      let counts = view.metrics.map { "\($0.name) \($0.points.count)/\($0.count)" }.joined(separator: ", ")
      return try ToolOutput(
        encoding: view,
        text: "\(runID) (\(view.state)): " + (view.metrics.isEmpty ? "no metrics logged yet" : counts))
    }
  }
}
