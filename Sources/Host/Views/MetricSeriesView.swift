import Foundation
import PluginKit

/// Fits a series into at most `limit` points without hiding its extremes.
///
/// A series longer than `limit` is cut into `limit / 2` runs of consecutive points of (nearly)
/// equal length; each run gives its lowest and its highest point, in the order they were
/// logged (one point when they are the same). Every spike survives, so the series' minimum and
/// maximum are always among the points returned.
public enum SeriesDownsampling {
  public static func downsample(_ points: [MetricRecord], limit: Int) -> [MetricRecord] {
    guard points.count > limit, limit >= 2 else { return points }
    let buckets = limit / 2
    var kept: [MetricRecord] = []
    kept.reserveCapacity(buckets * 2)
    for bucket in 0..<buckets {
      let start = bucket * points.count / buckets
      let end = (bucket + 1) * points.count / buckets
      guard start < end else { continue }
      var low = start
      var high = start
      for index in start..<end {
        if points[index].value < points[low].value { low = index }
        if points[index].value > points[high].value { high = index }
      }
      kept.append(points[min(low, high)])
      if low != high { kept.append(points[max(low, high)]) }
    }
    return kept
  }
}

/// A run's metric series, as `goldfish metrics` and the MCP `metrics` tool return them.
public struct MetricSeriesView: Encodable, Sendable {
  public struct Series: Encodable, Sendable {
    public var name: String
    /// Points logged.
    public var count: Int
    public var min: Double
    public var max: Double
    public var last: Double
    /// True when `points` holds fewer points than were logged.
    public var downsampled: Bool
    public var points: [Point]
  }

  public struct Point: Encodable, Sendable {
    public var step: Int?
    public var value: Double
    public var timestamp: String

    public func encode(to encoder: any Encoder) throws {
      var fields = encoder.container(keyedBy: CodingKeys.self)
      try fields.encode(step, forKey: .step)
      try fields.encode(value, forKey: .value)
      try fields.encode(timestamp, forKey: .timestamp)
    }

    enum CodingKeys: String, CodingKey { case step, value, timestamp }
  }

  public var runID: String
  public var state: String
  public var maxPoints: Int
  public var metrics: [Series]

  enum CodingKeys: String, CodingKey {
    case runID = "run_id", state
    case maxPoints = "max_points"
    case metrics
  }

  public static let defaultPoints = 500
  public static let pointsRange = 2...10_000
}

extension RunQueries {
  /// One metric's series (or every metric's, without `name`), each at most `points` points.
  public func metricSeries(
    _ id: String, name: String? = nil, points: Int = MetricSeriesView.defaultPoints
  )
    throws(GoldfishError) -> MetricSeriesView
  {
    guard MetricSeriesView.pointsRange.contains(points) else {
      throw GoldfishError(
        .invalidArgument, "points is \(points); a series is returned in 2 to 10,000 points",
        hint: "pass points between 2 and 10000 (default 500)")
    }
    let run = try run(id)
    var summaries = try store.metricSummaries(of: id)
    if let name {
      summaries = summaries.filter { $0.name == name }
      if summaries.isEmpty {
        let logged = try store.metricSummaries(of: id).map(\.name)
        throw GoldfishError(
          .notFound, "run \(id) logged no metric \"\(name.prefix(100))\"",
          hint: logged.isEmpty
            ? "it has logged no metrics yet" : "it logged: " + logged.prefix(50).joined(separator: ", "))
      }
    }
    let series = try summaries.map { summary throws(GoldfishError) in
      let all = try store.metricSeries(of: id, name: summary.name)
      let kept = SeriesDownsampling.downsample(all, limit: points)
      return MetricSeriesView.Series(
        name: summary.name, count: all.count, min: summary.minValue, max: summary.maxValue, last: summary.lastValue,
        downsampled: kept.count < all.count,
        points: kept.map { MetricSeriesView.Point(step: $0.step, value: $0.value, timestamp: $0.timestamp) })
    }
    return MetricSeriesView(runID: run.id, state: run.state.rawValue, maxPoints: points, metrics: series)
  }
}
