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

extension ProjectStore {
  /// A long series in at most `points` points from its rollup pyramid: the level with at least
  /// `(points - 1) / 2` buckets, whose consecutive buckets are merged into that many, each giving
  /// its lowest and highest point in logged order, then the series' last point. Reads a few
  /// thousand bucket rows whatever the length. Nil when the series is too short for a level or
  /// the pyramid does not hold every point (rows written by hand), so the caller reads the points.
  public func rolledUpSeries(
    of stageRunID: String, name: String, count: Int, points: Int
  ) throws(GoldfishError)
    -> [MetricRecord]?
  {
    let target = (points - 1) / 2
    guard target >= 1, let level = MetricRollups.level(count: count, buckets: target) else { return nil }
    let rows = try metricRollups(of: stageRunID, name: name, level: level)
    guard rows.reduce(0, { $0 + $1.count }) == count, let last = rows.last?.last, last.ordinal == count - 1 else {
      return nil
    }
    var kept: [MetricRollups.Point] = []
    kept.reserveCapacity(target * 2 + 1)
    for output in 0..<target {
      let span = rows[(output * rows.count / target)..<((output + 1) * rows.count / target)]
      guard var low = span.first?.min, var high = span.first?.max else { continue }
      for bucket in span.dropFirst() {
        if bucket.min.value < low.value { low = bucket.min }
        if bucket.max.value > high.value { high = bucket.max }
      }
      kept.append(low.ordinal <= high.ordinal ? low : high)
      if low.ordinal != high.ordinal { kept.append(low.ordinal <= high.ordinal ? high : low) }
    }
    if kept.last?.ordinal != last.ordinal { kept.append(last) }
    return kept.map { MetricRecord(name: name, value: $0.value, step: $0.step, timestamp: $0.timestamp) }
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
      let kept: [MetricRecord]
      if summary.count <= points {
        kept = try store.metricSeries(of: id, name: summary.name)
      } else if let rolled = try store.rolledUpSeries(
        of: id, name: summary.name, count: summary.count, points: points)
      {
        kept = rolled
      } else {
        kept = try store.seriesBuckets(of: id, name: summary.name, buckets: points / 2)
      }
      return MetricSeriesView.Series(
        name: summary.name, count: summary.count, min: summary.minValue, max: summary.maxValue,
        last: summary.lastValue, downsampled: kept.count < summary.count,
        points: kept.map { MetricSeriesView.Point(step: $0.step, value: $0.value, timestamp: $0.timestamp) })
    }
    return MetricSeriesView(runID: run.id, state: run.state.rawValue, maxPoints: points, metrics: series)
  }
}
