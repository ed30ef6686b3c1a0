import Foundation
import GRDB
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// The rollup pyramid kept at ingest (and built by the v13 migration for points stored before
/// it) holds, for every level and bucket, exactly the raw series' count, lowest, highest and last
/// point; the web's long-series reads come from it and keep the series' extremes.
@Suite struct MetricRollupTests {
  /// The sample project after one run; its train run logged 200 `loss` points while running.
  static func trainedRun() throws -> (ProjectFixture, StageRunRecord) {
    let fixture = try SamplePipeline.project(configure: SamplePipeline.withoutFinalizationGate)
    let (_, runs) = try SamplePipeline.run(fixture)
    return (fixture, try #require(runs.first { $0.stage == "train" }))
  }

  /// A noisy series with spikes both ways, as a stage logs it: `batches` ingests of `size` points.
  static func ingest(_ store: ProjectStore, _ run: String, name: String, points: Int, batches: Int) throws {
    var generator = SystemRandomNumberGenerator()
    let size = (points + batches - 1) / batches
    var offset: Int64 = 1
    for start in stride(from: 0, to: points, by: size) {
      let batch = (start..<min(points, start + size)).map { step in
        let spike = step % 997 == 0 ? 50.0 : (step % 1_009 == 0 ? -50.0 : 0)
        return MetricRecord(
          name: name, value: 1 / Double(step + 1) + Double.random(in: -0.01...0.01, using: &generator) + spike,
          step: step, timestamp: "2026-01-01T00:00:00.\(String(format: "%06d", step))Z")
      }
      // Reading the same lines again (a re-read after a crash) stores nothing twice.
      try store.ingestMetrics(run, batch + batch.prefix(3), offset: offset)
      offset += 1
    }
  }

  /// Every bucket of every level, recomputed from the raw points.
  static func expectRollupsMatchRawPoints(_ store: ProjectStore, _ run: String, name: String) throws {
    let raw = try store.metricSeries(of: run, name: name)
    #expect(!raw.isEmpty)
    for level in MetricRollups.levels {
      let buckets = try store.metricRollups(of: run, name: name, level: level)
      let width = MetricRollups.width(level)
      #expect(buckets.count == (raw.count + width - 1) / width, "level \(level)")
      for bucket in buckets {
        let slice = Array(raw[(bucket.bucket * width)..<min(raw.count, (bucket.bucket + 1) * width)])
        let values = slice.map(\.value)
        let low = try #require(values.min())
        let high = try #require(values.max())
        #expect(bucket.count == slice.count, "level \(level) bucket \(bucket.bucket)")
        #expect(bucket.min.value == low && bucket.max.value == high, "level \(level) bucket \(bucket.bucket)")
        #expect(raw[bucket.min.ordinal].value == low && raw[bucket.max.ordinal].value == high)
        #expect(raw[bucket.min.ordinal].step == bucket.min.step && raw[bucket.max.ordinal].step == bucket.max.step)
        #expect(bucket.last.value == slice.last?.value && bucket.last.step == slice.last?.step)
      }
    }
  }

  @Test func pointsIngestedWhileRunningKeepEveryBucketsExtremes() throws {
    let (fixture, train) = try Self.trainedRun()
    let store = fixture.project.store
    // The stage's own live-logged series, then a longer one arriving in many small ingests.
    try Self.expectRollupsMatchRawPoints(store, train.id, name: "loss")
    try Self.ingest(store, train.id, name: "noisy", points: 5_000, batches: 37)
    try Self.expectRollupsMatchRawPoints(store, train.id, name: "noisy")
  }

  @Test func theMigrationBuildsRollupsForPointsStoredBeforeIt() throws {
    let (fixture, train) = try Self.trainedRun()
    try Self.ingest(fixture.project.store, train.id, name: "noisy", points: 4_500, batches: 3)
    // The database as v11 left it: points, no rollups, the migration not applied.
    try fixture.project.store.write { db in
      try db.execute(
        sql: """
          DROP TABLE run_metric_rollups;
          DELETE FROM grdb_migrations WHERE identifier = 'v13-metric-rollups';
          """)
    }
    let reopened = try fixture.reopen()
    #expect(try reopened.store.appliedMigrations().contains("v13-metric-rollups"))
    try Self.expectRollupsMatchRawPoints(reopened.store, train.id, name: "loss")
    try Self.expectRollupsMatchRawPoints(reopened.store, train.id, name: "noisy")
  }

  @Test func aLongSeriesIsReadFromItsRollupWithItsExtremesAndLastPoint() throws {
    let (fixture, train) = try Self.trainedRun()
    let store = fixture.project.store
    try Self.ingest(store, train.id, name: "long", points: 70_000, batches: 7)
    let summary = try #require(try store.metricSummaries(of: train.id).first { $0.name == "long" })
    let kept = try #require(try store.rolledUpSeries(of: train.id, name: "long", count: summary.count, points: 500))
    #expect(kept.count <= 500 && kept.count >= 400)
    let values = kept.map(\.value)
    #expect(values.contains(summary.minValue) && values.contains(summary.maxValue))
    #expect(kept.last?.value == summary.lastValue && kept.last?.step == summary.lastStep)
    let steps = kept.compactMap(\.step)
    #expect(steps == steps.sorted() && Set(steps).count == steps.count)
    // What the server answers goes through the same read.
    let queries = RunQueries(services: try ExecutionServices.open(fixture.project))
    let view = try SeriesCache().series(queries, train.id, name: "long")
    #expect(view.metrics.first?.points.count == kept.count && view.metrics.first?.downsampled == true)
    // Too short for any level: the caller reads the points instead.
    #expect(try store.rolledUpSeries(of: train.id, name: "loss", count: 200, points: 100) == nil)
  }
}
