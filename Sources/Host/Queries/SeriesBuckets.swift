import GRDB

extension ProjectStore {
  /// One metric's series cut into `buckets` spans of its row ids, each giving its lowest and
  /// highest point, in logged order: `SeriesDownsampling`'s min/max-per-bucket shape, computed
  /// inside SQLite (a min and a max read of each bucket's id range along run_metrics_series) instead of decoding
  /// every point. A series is logged in id order, so equal id spans hold about equal counts.
  public func seriesBuckets(of stageRunID: String, name: String, buckets: Int) throws(GoldfishError) -> [MetricRecord] {
    try read { db in
      guard
        let bounds = try Row.fetchOne(
          db, sql: "SELECT MIN(id) AS low, MAX(id) AS high FROM run_metrics WHERE stage_run_id = ? AND name = ?",
          arguments: [stageRunID, name]),
        let low = bounds["low"] as Int64?, let high = bounds["high"] as Int64?
      else { return [] }
      let span = high - low + 1
      var kept: [Int64: MetricRecord] = [:]
      let count = Int64(max(buckets, 1))
      // One range read per bucket and extreme along the index, no sort; SQLite gives a lone
      // min() or max() aggregate's bare columns from the row it picked.
      for extreme in ["MIN", "MAX"] {
        let statement = try db.cachedStatement(
          sql: """
            SELECT \(extreme)(value) AS value, id, name, step, timestamp FROM run_metrics
            WHERE stage_run_id = ? AND name = ? AND id >= ? AND id < ?
            """)
        for bucket in 0..<count {
          let from = low + span * bucket / count
          let to = low + span * (bucket + 1) / count
          guard from < to, let row = try Row.fetchOne(statement, arguments: [stageRunID, name, from, to]),
            let id = row["id"] as Int64?
          else { continue }
          kept[id] = MetricRecord(
            name: row["name"], value: row["value"], step: row["step"], timestamp: row["timestamp"])
        }
      }
      return kept.sorted { $0.key < $1.key }.map(\.value)
    }
  }
}

extension SeriesCache {
  /// Every metric of a run (or one), each series at most `points` points: a series that fits is
  /// read whole, a longer one through `seriesBuckets`.
  static func read(
    _ queries: RunQueries, _ id: String, name: String?, points: Int
  ) throws(GoldfishError)
    -> MetricSeriesView
  {
    guard MetricSeriesView.pointsRange.contains(points) else {
      return try queries.metricSeries(id, name: name, points: points)
    }
    let store = queries.services.project.store
    let run = try queries.run(id)
    var summaries = try store.metricSummaries(of: id)
    if let name {
      summaries = summaries.filter { $0.name == name }
      if summaries.isEmpty { return try queries.metricSeries(id, name: name, points: points) }
    }
    let series = try summaries.map { summary throws(GoldfishError) in
      let kept =
        summary.count > points
        ? try store.seriesBuckets(of: id, name: summary.name, buckets: points / 2)
        : try store.metricSeries(of: id, name: summary.name)
      return MetricSeriesView.Series(
        name: summary.name, count: summary.count, min: summary.minValue, max: summary.maxValue,
        last: summary.lastValue, downsampled: kept.count < summary.count,
        points: kept.map { MetricSeriesView.Point(step: $0.step, value: $0.value, timestamp: $0.timestamp) })
    }
    return MetricSeriesView(runID: run.id, state: run.state.rawValue, maxPoints: points, metrics: series)
  }
}
