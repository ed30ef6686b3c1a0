import Foundation
import GRDB
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// A project database written before experiment records existed (Tests/Fixtures/pre-records,
/// made by the goldfish of that time) opens with today's store: its runs and checkpoints become
/// records, and a new run's record is written with the run or not at all.
@Suite("experiment records on an upgraded database")
struct RecordsMigrationTests {
  static let fixture = TestEnvironment.packageRoot + "/Tests/Fixtures/pre-records/goldfish.db"

  /// A copy of the committed database, so the test never changes it.
  static func copy() throws -> String {
    let path = TestEnvironment.temporaryFolder("pre-records") + "/goldfish.db"
    try FileManager.default.copyItem(atPath: fixture, toPath: path)
    return path
  }

  @Test("the committed database is from before records: no -wal needed, migrations up to v6")
  func fixtureIsOld() throws {
    let queue = try DatabaseQueue(path: try Self.copy())
    let applied = try queue.read { db in try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") }
    #expect(applied.contains("v6-driver-ownership") && !applied.contains("v7-records"), "\(applied)")
    let runs = try queue.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM stage_runs") }
    #expect(runs == 6)
    #expect(!FileManager.default.fileExists(atPath: Self.fixture + "-wal"))
  }

  @Test("old runs and checkpoints become records with outcomes, metric summaries, and do not hold the gate")
  func upgradesOldProject() throws {
    let path = try Self.copy()
    // This process already made an id for now (a server with another project open does): the
    // old records must still carry their own dates.
    _ = ULID.make()
    let store = try ProjectStore.open(path: path)
    #expect(try store.appliedMigrations() == Migrations.identifiers.sorted())

    let runs = try store.stageRuns(limit: 100).sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
    #expect(runs.map(\.state) == [.completed, .completed, .completed, .completed, .failed, .canceled])
    var recordIDs: [String] = []
    for run in runs {
      let record = try #require(try store.record(ofStageRun: run.id), "\(run.id) has no record")
      #expect(ULID.isValid(record.id) && record.kind == .run, "\(record)")
      #expect(record.workspace == "line" && record.stage == run.stage && record.version == run.version)
      #expect(record.createdAt == run.createdAt)
      let created = try #require(Timestamp.parse(run.createdAt))
      let idDate = try #require(ULID.date(of: record.id))
      #expect(
        abs(idDate.timeIntervalSince(created)) < 0.002, "\(record.id) is dated \(idDate), the run \(run.createdAt)")
      recordIDs.append(record.id)

      let results = try #require(try store.runResults(run.id))
      #expect(results.recordID == record.id && !results.gated && results.resultsStatus == .missing)
      let expected: InfraOutcome = run.state == .completed ? .completed : run.state == .failed ? .crashed : .canceled
      #expect(results.infraOutcome == expected, "\(run.id) \(run.state)")
    }
    #expect(recordIDs == recordIDs.sorted(), "record ids sort as the runs were created")
    #expect(Set(recordIDs).count == runs.count)

    let versions = try store.read { db in
      try Row.fetchAll(
        db, sql: "SELECT version, created_by FROM workspace_versions WHERE workspace = 'line' ORDER BY version")
    }
    let checkpoints = versions.filter { ($0["created_by"] as String) != "run" }.map { $0["version"] as Int }
    #expect(checkpoints == [1, 3])
    for version in checkpoints {
      let record = try #require(try store.record(ofVersion: version, workspace: "line"), "v\(version)")
      #expect(record.kind == .checkpoint && ULID.isValid(record.id) && record.stageRunID == nil)
      let created = try #require(Timestamp.parse(record.createdAt))
      #expect(abs((ULID.date(of: record.id) ?? .distantPast).timeIntervalSince(created)) < 0.002, "\(record)")
    }
    #expect(try store.record(ofVersion: 2, workspace: "line") == nil, "v2 was made by a run: its record is the run's")

    let train = try #require(runs.first { $0.stage == "train" && $0.state == .completed })
    let loss = try #require(try store.metricSummaries(of: train.id).first { $0.name == "loss" })
    let points = try store.metrics(of: train.id).filter { $0.name == "loss" }
    #expect(loss.count == 200 && points.count == 200)
    #expect(loss.minValue == points.map(\.value).min() && loss.maxValue == points.map(\.value).max())
    #expect(loss.lastValue == points.max { ($0.step ?? 0) < ($1.step ?? 0) }?.value)

    // Nobody could finalize them then: they do not block the next run.
    #expect(try store.unfinalizedRuns(workspace: "line").isEmpty)
  }

  @Test("a new run is inserted with its record in one transaction: a refused record leaves no run behind")
  func runAndRecordTogether() throws {
    let store = try ProjectStore.open(path: try Self.copy())
    let now = Timestamp.now()
    let pipelineRun = PipelineRunRecord(
      id: "prun-new", workspace: "line", pipeline: "pipeline", version: 4, status: "running", reason: goodReason,
      createdAt: now, rerun: false)
    let run = StageRunRecord(
      id: "stage-new", workspace: "line", version: 4, pipeline: "pipeline", stage: "train", reason: goodReason,
      pipelineRunID: "prun-new", now: now)
    try store.insertPipelineRun(pipelineRun, stageRuns: [run])
    let record = try #require(try store.record(ofStageRun: "stage-new"))
    #expect(try store.runResults("stage-new")?.recordID == record.id)
    #expect(try store.runResults("stage-new")?.gated == true)

    // The database itself refuses the next record: neither the runs nor their records remain.
    try store.write { db in
      try db.execute(
        sql: "CREATE TRIGGER refuse_records BEFORE INSERT ON experiment_records BEGIN SELECT RAISE(ABORT, 'no'); END")
    }
    var refused = pipelineRun
    refused.id = "prun-refused"
    var refusedRun = run
    refusedRun.id = "stage-refused"
    refusedRun.pipelineRunID = "prun-refused"
    #expect(throws: GoldfishError.self) { try store.insertPipelineRun(refused, stageRuns: [refusedRun]) }
    #expect(try store.pipelineRun("prun-refused") == nil)
    #expect(try store.stageRun("stage-refused") == nil)
    #expect(try store.runResults("stage-refused") == nil)

    var single = run
    single.id = "stage-single"
    #expect(throws: GoldfishError.self) { try store.createStageRun(single) }
    #expect(try store.stageRun("stage-single") == nil)
    #expect(try store.transitions(of: "stage-single").isEmpty)
  }
}
