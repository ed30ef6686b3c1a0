import Foundation

/// Downsampled metric series kept in memory by a long-lived reader (the web server), keyed by
/// run and by the points logged so far: a series only grows, so an unchanged count means an
/// unchanged answer, and a settled run's million points are read once, not on every page view.
public final class SeriesCache: @unchecked Sendable {
  private struct Key: Hashable {
    var run: String
    var name: String?
    var points: Int
  }

  private let lock = NSLock()
  private var entries: [Key: (pointsLogged: Int, view: MetricSeriesView)] = [:]
  private var order: [Key] = []
  let capacity: Int

  public init(capacity: Int = 256) { self.capacity = capacity }

  /// `queries.metricSeries(id, name:, points:)`, from memory when no point was logged since.
  public func series(
    _ queries: RunQueries, _ id: String, name: String? = nil, points: Int = MetricSeriesView.defaultPoints
  ) throws(GoldfishError) -> MetricSeriesView {
    let key = Key(run: id, name: name, points: points)
    let logged = try queries.services.project.store.runWatchMark(id)?.metricPoints ?? -1
    if let hit = lock.withLock({ entries[key] }), hit.pointsLogged == logged, logged >= 0 {
      var view = hit.view
      // The state may move on without a new point (a run ending); it is read fresh.
      view.state = (try queries.run(id)).state.rawValue
      return view
    }
    let view = try Self.read(queries, id, name: name, points: points)
    lock.withLock {
      if entries[key] == nil { order.append(key) }
      entries[key] = (logged, view)
      while order.count > capacity { entries[order.removeFirst()] = nil }
    }
    return view
  }
}
