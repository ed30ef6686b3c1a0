import Foundation
import GRDB
import PluginKit
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// list_history's filters and orders on a real project database.
@Suite("list_history: filters, metric order and pages")
struct RecordHistoryTests {
  /// Four runs: train ones finalized at 0.7, 0.9 and 0.8 (the last in group "sweep"), an
  /// evaluate run with only an auto result of 0.85; the 0.9 one tagged best-1; a tagged checkpoint.
  static func seeded() throws -> ProjectFixture {
    let fixture = try ProjectFixture()
    try fixture.mountedWorkspace()
    try fixture.write("notes.txt", "a change worth saving")
    let saved = try fixture.project.workspaces.checkpoint(slot: "w1", message: "save a change")
    let store = fixture.project.store
    let records = fixture.project.records
    try RecordsTests.endedRun(store, "stage-r1")
    try RecordsTests.endedRun(store, "stage-r2")
    try RecordsTests.endedRun(store, "stage-r3", stage: "evaluate")
    try RecordsTests.endedRun(store, "stage-r4")
    try store.write { db in
      try db.execute(sql: "UPDATE experiment_records SET experiment_group = 'sweep' WHERE stage_run_id = 'stage-r4'")
      try db.execute(
        sql: """
          UPDATE run_results SET results_status = 'auto', primary_metric = 'val_acc', primary_value = 0.85
          WHERE stage_run_id = 'stage-r3'
          """)
    }
    _ = try records.finalize("stage-r1", results: RecordsTests.results(0.7), by: "cli")
    _ = try records.finalize("stage-r2", results: RecordsTests.results(0.9), by: "cli")
    _ = try records.finalize("stage-r4", results: RecordsTests.results(0.8), by: "cli")
    _ = try records.tag("stage-r2", "best-1")
    _ = try records.tagVersion(workspace: "baseline", version: try VersionLabel.parse(saved.version), tag: "milestone")
    return fixture
  }

  static func runs(_ fixture: ProjectFixture, _ query: HistoryQuery) throws -> [String] {
    try fixture.project.records.history(query).records.compactMap(\.entry.stageRunID)
  }

  @Test("filters: type, stage, tagged, metric and min_value, experiment group, finalized only")
  func filters() throws {
    let fixture = try Self.seeded()
    let records = fixture.project.records
    let all = try records.history(HistoryQuery(workspace: "baseline", limit: 50))
    let checkpoints = try records.history(HistoryQuery(workspace: "baseline", kind: .checkpoint, limit: 50))
    #expect(all.total == 4 + checkpoints.total && all.records.count == all.total && checkpoints.total >= 1)
    #expect(all.records.compactMap(\.entry.stageRunID) == ["stage-r4", "stage-r3", "stage-r2", "stage-r1"])
    #expect(checkpoints.records.allSatisfy { $0.entry.kind == .checkpoint && $0.entry.stageRunID == nil })

    let best = try #require(all.records.first { $0.entry.stageRunID == "stage-r2" }?.entry)
    #expect(best.tags == ["best-1"] && best.resultsStatus == .finalized && best.mlOutcome == .success)
    #expect(best.primaryMetric == "val_acc" && best.primaryValue == 0.9 && best.version == 1)

    #expect(try Self.runs(fixture, .init(workspace: "baseline", stage: "evaluate")) == ["stage-r3"])
    #expect(try Self.runs(fixture, .init(workspace: "baseline", tagged: .named("best-1"))) == ["stage-r2"])
    let tagged = try records.history(HistoryQuery(workspace: "baseline", tagged: .any(true)))
    #expect(
      tagged.total == 2 && tagged.records.contains { $0.entry.tags == ["milestone"] && $0.entry.kind == .checkpoint })
    let untagged = try records.history(HistoryQuery(workspace: "baseline", tagged: .any(false), limit: 50))
    #expect(untagged.total == all.total - 2)
    #expect(
      try Self.runs(fixture, .init(workspace: "baseline", metric: "val_acc", minValue: 0.8)) == [
        "stage-r4", "stage-r3", "stage-r2",
      ])
    #expect(try Self.runs(fixture, .init(workspace: "baseline", metric: "loss")).isEmpty)
    #expect(try Self.runs(fixture, .init(workspace: "baseline", experimentGroup: "sweep")) == ["stage-r4"])
    let finalized = try records.history(HistoryQuery(workspace: "baseline", finalizedOnly: true))
    #expect(finalized.total == 3)
    #expect(finalized.records.compactMap(\.entry.stageRunID) == ["stage-r4", "stage-r2", "stage-r1"])
    #expect(
      try Self.runs(fixture, .init(workspace: "baseline", newestFirst: false, finalizedOnly: true)) == [
        "stage-r1", "stage-r2", "stage-r4",
      ])
  }

  @Test("sort_by metric orders by the final value, else the auto one, and pages through it")
  func metricOrder() throws {
    let fixture = try Self.seeded()
    #expect(
      try Self.runs(fixture, .init(workspace: "baseline", order: .metric, finalizedOnly: true)) == [
        "stage-r2", "stage-r4", "stage-r1",
      ])
    #expect(
      try Self.runs(fixture, .init(workspace: "baseline", order: .metric, newestFirst: false, finalizedOnly: true)) == [
        "stage-r1", "stage-r4", "stage-r2",
      ])
    let byValue = ["stage-r2", "stage-r3", "stage-r4", "stage-r1"]
    #expect(try Self.runs(fixture, .init(workspace: "baseline", order: .metric)) == byValue)
    var paged: [String] = []
    for offset in stride(from: 0, to: 4, by: 3) {
      let page = try fixture.project.records.history(
        HistoryQuery(workspace: "baseline", order: .metric, limit: 3, offset: offset))
      #expect(page.total == 4 && page.hasMore == (offset == 0))
      paged += page.records.compactMap(\.entry.stageRunID)
    }
    #expect(paged == byValue)
  }

  @Test("the view has upstream's keys; internal ids only when asked")
  func view() throws {
    let fixture = try Self.seeded()
    let listing = try fixture.project.records.history(
      HistoryQuery(workspace: "baseline", tagged: .named("best-1")), internalIDs: true)
    let encoded = try JSONCoding.value(of: listing)
    let record = try #require(encoded["records"]?.arrayValue?.first)
    #expect(record["primary_metric"] == ["name": "val_acc", "value": .double(0.9)])
    #expect(record["record_type"] == "run" && record["results_status"] == "finalized" && record["tags"] == ["best-1"])
    #expect(record["pipeline_run_id"] != nil && record["version"] == "v1")
    #expect(ULID.isValid(record["record_id"]?.stringValue ?? ""))
    let plain = try JSONCoding.value(of: try fixture.project.records.history(HistoryQuery(workspace: "baseline")))
    #expect(plain["records"]?.arrayValue?.first?["pipeline_run_id"] == nil)
    #expect(plain["has_more"] == false && plain["total"] != nil)
  }

  @Test("every list_history page is read along an index in its order, never sorted whole")
  func pagesReadAlongIndexes() throws {
    let fixture = try ProjectFixture()
    let queries: [HistoryQuery] = [
      .init(workspace: "w"), .init(workspace: "w", stage: "train"), .init(workspace: "w", newestFirst: false),
      .init(workspace: "w", order: .metric), .init(workspace: "w", finalizedOnly: true),
      .init(workspace: "w", order: .metric, finalizedOnly: true),
      .init(workspace: "w", stage: "train", finalizedOnly: true), .init(workspace: "w", experimentGroup: "sweep"),
    ]
    for query in queries {
      let statement = ProjectStore.historyStatement(query)
      let details = try fixture.project.store.read { db in
        try Row.fetchAll(
          db, sql: "EXPLAIN QUERY PLAN " + statement.page,
          arguments: StatementArguments(statement.pageArguments + [20.databaseValue, 0.databaseValue])
        ).map { $0["detail"] as String }
      }
      #expect(!details.contains { $0.contains("TEMP B-TREE") }, "\(query): \(details)")
      #expect(!details.contains { $0.hasPrefix("SCAN") && !$0.contains("INDEX") }, "\(query): \(details)")
      // Filtered totals count along an index too, never through the page's joins.
      let counting = try fixture.project.store.read { db in
        try Row.fetchAll(
          db, sql: "EXPLAIN QUERY PLAN " + statement.count, arguments: StatementArguments(statement.countArguments)
        ).map { $0["detail"] as String }
      }
      #expect(counting.allSatisfy { $0.hasPrefix("SEARCH") }, "\(query): \(counting)")
    }
  }
}
