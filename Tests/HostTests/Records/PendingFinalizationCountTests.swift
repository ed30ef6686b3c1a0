import Foundation
import GRDB
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// `status`'s runs awaiting finalization come from counters kept by triggers (v12-pending-counts):
/// after every kind of change they must say what counting the rows one by one says.
@Suite("pending finalization counts")
struct PendingFinalizationCountTests {
  /// The rule counted row by row, as `status` did before the counters.
  static func counted(_ store: ProjectStore) throws -> [String: PendingFinalization] {
    try store.read { db in
      let rows = try Row.fetchAll(
        db,
        sql: """
          SELECT r.workspace, COUNT(*) AS count, MIN(r.record_id) AS first FROM run_results r
          JOIN stage_runs s ON s.id = r.stage_run_id
          WHERE r.results_status IN ('missing', 'auto') AND r.gated = 1 AND s.reused_from IS NULL
            AND r.infra_outcome IN ('completed', 'preempted', 'crashed')
          GROUP BY r.workspace
          """)
      var pending: [String: PendingFinalization] = [:]
      for row in rows {
        let first: String = row["first"]
        let example = try String.fetchOne(
          db, sql: "SELECT stage_run_id FROM run_results WHERE record_id = ?", arguments: [first])
        pending[row["workspace"]] = PendingFinalization(count: row["count"], example: example ?? "")
      }
      return pending
    }
  }

  static func expectAgree(
    _ store: ProjectStore, _ step: String, sourceLocation: SourceLocation = #_sourceLocation
  )
    throws
  {
    let kept = try store.pendingFinalization()
    let counted = try counted(store)
    #expect(kept.mapValues(\.count) == counted.mapValues(\.count), "\(step)", sourceLocation: sourceLocation)
    #expect(kept.mapValues(\.example) == counted.mapValues(\.example), "\(step)", sourceLocation: sourceLocation)
  }

  static func execute(_ store: ProjectStore, _ sql: String, _ arguments: StatementArguments = []) throws {
    try store.write { db in try db.execute(sql: sql, arguments: arguments) }
  }

  @Test("the counters follow new runs, finalization, reuse, outcome changes, gating and deletion")
  func countersFollowEveryChange() throws {
    let fixture = try ProjectFixture()
    try fixture.mountedWorkspace("baseline")
    _ = try fixture.project.workspaces.create(name: "other", goal: "a second line", reason: "compare two lines")
    let project = fixture.project
    let store = project.store
    try Self.expectAgree(store, "empty")
    #expect(try store.pendingFinalization().isEmpty)

    for (index, outcome) in [InfraOutcome.completed, .crashed, .canceled, .completed, .preempted].enumerated() {
      _ = try ExperimentSeeds.run(project, "stage-000\(index)", workspace: "baseline", outcome: outcome)
    }
    _ = try ExperimentSeeds.run(project, "stage-0100", workspace: "other", outcome: .completed)
    try Self.expectAgree(store, "seeded")
    #expect(try store.pendingFinalization()["baseline"]?.count == 4)
    #expect(try store.pendingFinalization()["baseline"]?.example == "stage-0000")
    #expect(try store.pendingFinalization()["other"]?.count == 1)

    try ExperimentSeeds.finalize(project, "stage-0000", value: 0.5)
    try Self.expectAgree(store, "the oldest finalized")
    #expect(try store.pendingFinalization()["baseline"]?.example == "stage-0001")

    try Self.execute(store, "UPDATE stage_runs SET reused_from = 'stage-0000' WHERE id = 'stage-0001'")
    try Self.expectAgree(store, "reused")
    #expect(try store.pendingFinalization()["baseline"]?.example == "stage-0003")
    try Self.execute(store, "UPDATE stage_runs SET reused_from = 'stage-0003' WHERE id = 'stage-0001'")
    try Self.expectAgree(store, "reused from another run")
    try Self.execute(store, "UPDATE stage_runs SET reused_from = NULL WHERE id = 'stage-0001'")
    try Self.expectAgree(store, "no longer reused")

    try store.setInfraOutcome("stage-0002", .crashed)
    try Self.expectAgree(store, "canceled became crashed")
    try store.setInfraOutcome("stage-0003", .canceled)
    try Self.expectAgree(store, "completed became canceled")
    try Self.execute(store, "UPDATE run_results SET gated = 0 WHERE stage_run_id = 'stage-0004'")
    try Self.expectAgree(store, "ungated")
    try Self.execute(store, "UPDATE run_results SET results_status = 'auto' WHERE stage_run_id = 'stage-0001'")
    try Self.expectAgree(store, "missing became auto")
    try Self.execute(store, "DELETE FROM run_results WHERE stage_run_id = 'stage-0100'")
    try Self.expectAgree(store, "deleted")
    #expect(try store.pendingFinalization()["other"] == nil)
    #expect(try store.pendingFinalization()["baseline"]?.count == 2)
  }

  @Test("a database from before the counters gets them from its rows when it is opened")
  func backfill() throws {
    let fixture = try ProjectFixture()
    try fixture.mountedWorkspace("baseline")
    for (index, outcome) in [InfraOutcome.completed, .crashed, .canceled, .completed].enumerated() {
      _ = try ExperimentSeeds.run(fixture.project, "stage-000\(index)", workspace: "baseline", outcome: outcome)
    }
    try ExperimentSeeds.finalize(fixture.project, "stage-0003", value: 0.5)
    // Back to the schema before v12: no counters, no triggers, no index, the migration not applied.
    try Self.execute(
      fixture.project.store,
      """
      DROP TRIGGER pending_counts_insert; DROP TRIGGER pending_counts_delete; DROP TRIGGER pending_counts_leave;
      DROP TRIGGER pending_counts_enter; DROP TRIGGER pending_counts_reuse; DROP INDEX run_results_waiting;
      DROP TABLE pending_finalization_counts;
      DELETE FROM grdb_migrations WHERE identifier = 'v12-pending-counts';
      """)
    let store = try ProjectStore.open(path: fixture.project.paths.database)
    #expect(try store.appliedMigrations() == Migrations.identifiers.sorted())
    try Self.expectAgree(store, "after the upgrade")
    #expect(try store.pendingFinalization()["baseline"]?.count == 2)
    #expect(try store.pendingFinalization()["baseline"]?.example == "stage-0000")
  }
}
