import Foundation
import GRDB
import Testing

@testable import GoldfishTestSupport
@testable import Host

@Suite("run history and newest-first run reads")
struct RunHistoryTests {
  /// Runs one minute apart in 2026, so their order is known; every fourth one still running.
  static func seed(_ store: ProjectStore, workspace: String, count: Int) throws -> [StageRunRecord] {
    var runs: [StageRunRecord] = []
    for index in 0..<count {
      let stamp = String(format: "2026-01-01T%02d:%02d:00.000Z", index / 60, index % 60)
      var run = StageRunRecord(
        id: String(format: "stage-%012x", index), workspace: workspace, version: 1, pipeline: "p",
        stage: index % 2 == 0 ? "train" : "evaluate", reason: goodReason)
      run.state = index % 4 == 3 ? .running : (index % 5 == 0 ? .failed : .completed)
      run.createdAt = stamp
      run.stateEnteredAt = stamp
      try store.createStageRun(run)
      runs.append(run)
    }
    return runs
  }

  @Test("finished runs come newest first and active ones are left out, whichever index answers")
  func newestFinishedRuns() throws {
    let fixture = try ProjectFixture()
    try fixture.mountedWorkspace()
    let runs = try Self.seed(fixture.project.store, workspace: "baseline", count: 40)
    let finished = runs.filter { $0.state.isSettled }.reversed().map(\.id)
    let active = runs.filter { $0.state.isActive }.reversed().map(\.id)

    let recent = try fixture.project.store.stageRuns(states: StageRunState.allCases.filter(\.isSettled), limit: 5)
    #expect(recent.map(\.id) == Array(finished.prefix(5)))
    let running = try fixture.project.store.stageRuns(states: StageRunState.allCases.filter(\.isActive), limit: 50)
    #expect(running.map(\.id) == active)
    let failed = try fixture.project.store.stageRuns(states: [.failed], limit: 50)
    #expect(failed.map(\.id) == runs.filter { $0.state == .failed }.reversed().map(\.id))
    let status = try ProjectStatus(project: fixture.project)
    #expect(status.recentRuns.map(\.id) == Array(finished.prefix(5)))
  }

  @Test("history pages through runs and checkpoints newest first, with the total and filters")
  func historyPages() throws {
    let fixture = try ProjectFixture()
    try fixture.mountedWorkspace()
    try fixture.write("notes.txt", "a change worth saving")
    let saved = try fixture.project.workspaces.checkpoint(slot: "w1", message: "save a change")
    let runs = try Self.seed(fixture.project.store, workspace: "baseline", count: 30)
    let store = fixture.project.store

    let all = try store.history(workspace: "baseline", limit: 200, offset: 0)
    let checkpoints = all.entries.filter { $0.kind == .checkpoint }
    #expect(all.total == all.entries.count)
    #expect(all.entries.filter { $0.kind == .run }.map(\.stageRunID) == runs.reversed().map(\.id))
    #expect(checkpoints.contains { "v\($0.version ?? 0)" == saved.version && $0.reason == "save a change" })
    // Records sort by their ULID: the order they were made in.
    #expect(all.entries.map(\.recordID) == all.entries.map(\.recordID).sorted(by: >))

    var paged: [String] = []
    var offset = 0
    while offset < all.total {
      let page = try store.history(workspace: "baseline", limit: 7, offset: offset)
      #expect(page.total == all.total)
      paged += page.entries.map(\.recordID)
      offset += 7
    }
    #expect(paged == all.entries.map(\.recordID))

    let oldestRuns = try store.history(workspace: "baseline", kind: .run, newestFirst: false, limit: 3, offset: 0)
    #expect(oldestRuns.entries.map(\.stageRunID) == runs.prefix(3).map(\.id))
    #expect(oldestRuns.total == 30)
    let training = try store.history(workspace: "baseline", stage: "train", limit: 200, offset: 0)
    #expect(training.total == 15 && training.entries.allSatisfy { $0.stage == "train" && $0.kind == .run })
    let onlyCheckpoints = try store.history(workspace: "baseline", kind: .checkpoint, limit: 200, offset: 0)
    #expect(onlyCheckpoints.entries.map(\.recordID) == checkpoints.map(\.recordID))
    #expect(try store.history(workspace: "nobody", limit: 20, offset: 0).total == 0)
  }

  @Test("runs recorded before the run counts existed are counted when an older database is upgraded")
  func countsSurviveUpgrade() throws {
    let path = TestEnvironment.temporaryFolder("history-upgrade") + "/goldfish.db"
    let old = try DatabaseQueue(path: path)
    try Migrations.migrator.migrate(old, upTo: "v3-execution")
    try old.write { db in
      for index in 0..<3 {
        try db.execute(
          sql: """
            INSERT INTO stage_runs (id, workspace, version, pipeline, stage, state, state_entered_at, created_at, reason)
            VALUES (?, 'kept', 1, 'p', 'train', 'completed', '2026-01-01T00:00:00.000Z', ?, 'recorded before v5')
            """,
          arguments: ["stage-old\(index)", "2026-01-01T00:0\(index):00.000Z"])
      }
    }
    try old.close()
    let store = try ProjectStore.open(path: path)
    #expect(try store.history(workspace: "kept", kind: .run, limit: 20, offset: 0).total == 3)
    try store.createStageRun(
      StageRunRecord(id: "stage-new", workspace: "kept", version: 1, pipeline: "p", stage: "train", reason: goodReason))
    let page = try store.history(workspace: "kept", kind: .run, stage: "train", limit: 2, offset: 0)
    #expect(page.total == 4)
    #expect(page.entries.map(\.stageRunID) == ["stage-new", "stage-old2"])
  }

  @Test("newest-first reads of every run use the (created_at, id) index instead of sorting the table")
  func timeIndexIsUsed() throws {
    let fixture = try ProjectFixture()
    let details = try fixture.project.store.read { db in
      try Row.fetchAll(
        db, sql: "EXPLAIN QUERY PLAN SELECT * FROM stage_runs ORDER BY created_at DESC, id DESC LIMIT 20"
      )
      .map { $0["detail"] as String }
    }
    #expect(details.contains { $0.contains("stage_runs_by_time") })
    #expect(!details.contains { $0.contains("TEMP B-TREE") })
  }

  @Test("the newest failed runs come from each state's own (state, created_at, id) range, not a sort of them all")
  func newestInFewStates() throws {
    let fixture = try ProjectFixture()
    try fixture.mountedWorkspace()
    let runs = try Self.seed(fixture.project.store, workspace: "w", count: 120)
    let store = fixture.project.store
    try store.write { db in
      try db.execute(
        sql: "UPDATE stage_runs SET state = 'terminated' WHERE id IN (?, ?)", arguments: [runs[118].id, runs[7].id])
    }
    let expected = runs.filter { $0.state == .failed || [runs[118].id, runs[7].id].contains($0.id) }
      .sorted { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) }.prefix(5).map(\.id)
    #expect(try store.stageRuns(states: [.failed, .terminated], limit: 5).map(\.id) == Array(expected))
    #expect(expected.first == runs[118].id)
    #expect(try store.stageRuns(workspace: "w", stage: "train", states: [.failed], limit: 3).map(\.id)
      == runs.filter { $0.state == .failed && $0.stage == "train" }.reversed().prefix(3).map(\.id))
    let details = try store.read { db in
      let statement = try ProjectStore.newestRuns(in: .failed, workspace: nil, stage: nil, limit: 5)
        .makePreparedRequest(db, forSingleResult: false).statement
      return try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + statement.sql, arguments: statement.arguments)
        .map { $0["detail"] as String }
    }
    #expect(details.contains { $0.contains("stage_runs_by_state_time") }, "\(details)")
    #expect(!details.contains { $0.contains("TEMP B-TREE") }, "\(details)")
  }
}
