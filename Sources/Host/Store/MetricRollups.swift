import GRDB

/// A pyramid of each metric series kept at ingest: level `k` cuts the series, in logged order,
/// into buckets of `width(k)` points (16, 256, 4,096, 65,536, 1,048,576) and keeps each
/// bucket's count, lowest, highest and last point. A chart of a million points then reads a few
/// thousand bucket rows instead of every point, and its extremes are the series' own.
public enum MetricRollups {
  public static let levels = 0..<5
  static let shift = 4

  /// Points per bucket at `level`.
  public static func width(_ level: Int) -> Int { 1 << (shift * (level + 1)) }

  /// The bucket at `level` that holds the point logged `ordinal`-th (from 0) in its series.
  public static func bucket(_ ordinal: Int, level: Int) -> Int { ordinal >> (shift * (level + 1)) }

  /// The deepest level whose buckets are still at least `target` of them over `count` points,
  /// or nil when the series is too short for any level to beat reading it.
  public static func level(count: Int, buckets target: Int) -> Int? {
    levels.reversed().first { count / width($0) >= max(target, 1) }
  }

  /// One point as a bucket keeps it: its value, where it falls in the series, its step and time.
  public struct Point: Sendable, Equatable {
    public var value: Double
    public var ordinal: Int
    public var step: Int?
    public var timestamp: String
  }

  /// One bucket of one level.
  public struct Bucket: Sendable, Equatable {
    public var level: Int
    public var bucket: Int
    public var count: Int
    public var min: Point
    public var max: Point
    public var last: Point

    init(level: Int, first point: Point) {
      self.level = level
      bucket = MetricRollups.bucket(point.ordinal, level: level)
      count = 1
      min = point
      max = point
      last = point
    }

    /// Adds a later point: the first lowest and first highest point of a bucket are kept.
    mutating func add(_ point: Point) {
      count += 1
      if point.value < min.value { min = point }
      if point.value > max.value { max = point }
      last = point
    }

    /// A row of `columns`, read by position (a name lookup per field costs more than the read).
    init(row: Row) {
      level = row[0]
      bucket = row[1]
      count = row[2]
      min = Point(value: row[3], ordinal: row[4], step: row[5], timestamp: row[6])
      max = Point(value: row[7], ordinal: row[8], step: row[9], timestamp: row[10])
      last = Point(value: row[11], ordinal: row[12], step: row[13], timestamp: row[14])
    }
  }

  static let columns = """
    level, bucket, count, min_value, min_ordinal, min_step, min_timestamp,
      max_value, max_ordinal, max_step, max_timestamp, last_value, last_ordinal, last_step, last_timestamp
    """

  static let upsertPoint = """
    INSERT INTO run_metric_rollups (stage_run_id, name, level, bucket, count,
      min_value, min_ordinal, min_step, min_timestamp, max_value, max_ordinal, max_step, max_timestamp,
      last_value, last_ordinal, last_step, last_timestamp)
    SELECT ?1, ?2, level, ?4 >> (4 * (level + 1)), 1, ?3, ?4, ?5, ?6, ?3, ?4, ?5, ?6, ?3, ?4, ?5, ?6
      FROM (SELECT 0 AS level UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4) WHERE true
    ON CONFLICT (stage_run_id, name, level, bucket) DO UPDATE SET
      count = count + 1,
      min_ordinal = CASE WHEN excluded.min_value < min_value THEN excluded.min_ordinal ELSE min_ordinal END,
      min_step = CASE WHEN excluded.min_value < min_value THEN excluded.min_step ELSE min_step END,
      min_timestamp = CASE WHEN excluded.min_value < min_value THEN excluded.min_timestamp ELSE min_timestamp END,
      min_value = min(min_value, excluded.min_value),
      max_ordinal = CASE WHEN excluded.max_value > max_value THEN excluded.max_ordinal ELSE max_ordinal END,
      max_step = CASE WHEN excluded.max_value > max_value THEN excluded.max_step ELSE max_step END,
      max_timestamp = CASE WHEN excluded.max_value > max_value THEN excluded.max_timestamp ELSE max_timestamp END,
      max_value = max(max_value, excluded.max_value),
      last_value = excluded.last_value, last_ordinal = excluded.last_ordinal, last_step = excluded.last_step,
      last_timestamp = excluded.last_timestamp
    """

  /// Adds a point just stored to every level, inside the caller's transaction. `ordinal` is how
  /// many points of the series were stored before it.
  static func add(_ db: Database, _ stageRunID: String, _ metric: MetricRecord, ordinal: Int) throws {
    let statement = try db.cachedStatement(sql: upsertPoint)
    try statement.execute(arguments: [
      stageRunID, metric.name, metric.value, ordinal, metric.step, metric.timestamp,
    ])
  }

  static func insert(_ db: Database, _ stageRunID: String, _ name: String, _ bucket: Bucket) throws {
    let statement = try db.cachedStatement(
      sql: """
        INSERT INTO run_metric_rollups (stage_run_id, name, level, bucket, count,
          min_value, min_ordinal, min_step, min_timestamp, max_value, max_ordinal, max_step, max_timestamp,
          last_value, last_ordinal, last_step, last_timestamp)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """)
    try statement.execute(arguments: [
      stageRunID, name, bucket.level, bucket.bucket, bucket.count,
      bucket.min.value, bucket.min.ordinal, bucket.min.step, bucket.min.timestamp,
      bucket.max.value, bucket.max.ordinal, bucket.max.step, bucket.max.timestamp,
      bucket.last.value, bucket.last.ordinal, bucket.last.step, bucket.last.timestamp,
    ])
  }

  /// Builds every series' pyramid from the points already stored, in one pass over
  /// run_metrics_series (run, name, logged order), holding one open bucket per level.
  static func rebuild(_ db: Database) throws {
    try db.execute(sql: "DELETE FROM run_metric_rollups")
    let cursor = try Row.fetchCursor(
      db, sql: "SELECT stage_run_id, name, value, step, timestamp FROM run_metrics ORDER BY stage_run_id, name, id")
    // Fields by position: a name lookup per field would double a long migration.
    var series: (run: String, name: String)?
    var ordinal = 0
    var open: [Bucket?] = levels.map { _ in nil }
    func flush() throws {
      guard let series else { return }
      for case let bucket? in open { try insert(db, series.run, series.name, bucket) }
    }
    while let row = try cursor.next() {
      let run: String = row[0]
      let name: String = row[1]
      if series?.run != run || series?.name != name {
        try flush()
        series = (run, name)
        ordinal = 0
        open = levels.map { _ in nil }
      }
      let point = Point(value: row[2], ordinal: ordinal, step: row[3], timestamp: row[4])
      for level in levels {
        if var bucket = open[level], bucket.bucket == Self.bucket(ordinal, level: level) {
          bucket.add(point)
          open[level] = bucket
        } else {
          if let full = open[level], let series { try insert(db, series.run, series.name, full) }
          open[level] = Bucket(level: level, first: point)
        }
      }
      ordinal += 1
    }
    try flush()
  }

  /// v13: the rollup table, filled from every series already stored.
  static func v13(_ db: Database) throws {
    try db.execute(
      sql: """
        CREATE TABLE run_metric_rollups (
          stage_run_id TEXT NOT NULL REFERENCES stage_runs(id),
          name TEXT NOT NULL,
          level INTEGER NOT NULL,
          bucket INTEGER NOT NULL,
          count INTEGER NOT NULL,
          min_value REAL NOT NULL, min_ordinal INTEGER NOT NULL, min_step INTEGER, min_timestamp TEXT NOT NULL,
          max_value REAL NOT NULL, max_ordinal INTEGER NOT NULL, max_step INTEGER, max_timestamp TEXT NOT NULL,
          last_value REAL NOT NULL, last_ordinal INTEGER NOT NULL, last_step INTEGER, last_timestamp TEXT NOT NULL,
          PRIMARY KEY (stage_run_id, name, level, bucket)
        ) WITHOUT ROWID;
        """)
    try rebuild(db)
  }
}

extension ProjectStore {
  /// Every bucket of one level of one series, in logged order.
  public func metricRollups(
    of stageRunID: String, name: String, level: Int
  ) throws(GoldfishError)
    -> [MetricRollups.Bucket]
  {
    try read { db in
      var buckets: [MetricRollups.Bucket] = []
      let rows = try Row.fetchCursor(
        db,
        sql: """
          SELECT \(MetricRollups.columns) FROM run_metric_rollups
          WHERE stage_run_id = ? AND name = ? AND level = ? ORDER BY bucket
          """,
        arguments: [stageRunID, name, level])
      while let row = try rows.next() { buckets.append(MetricRollups.Bucket(row: row)) }
      return buckets
    }
  }
}
