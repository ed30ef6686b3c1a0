import Foundation
import GRDB
import PluginKit
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// Finalizing runs, comparing them, tagging records and pruning versions, on a real project
/// database; runs are inserted with the store where a real run adds nothing.
@Suite("experiment records: finalize, compare, tag, prune")
struct RecordsTests {
  /// A run of `stage` that ended and waits for its result, with `config` as its stage config.
  @discardableResult
  static func endedRun(
    _ store: ProjectStore, _ id: String, stage: String = "train", workspace: String = "baseline",
    state: StageRunState = .awaitingUserFinalization, config: [String: JSONValue] = [:], version: Int = 1
  ) throws -> StageRunRecord {
    var run = StageRunRecord(
      id: id, workspace: workspace, version: version, pipeline: "p", stage: stage, reason: goodReason)
    run.state = state
    run.config = try JSONCoding.encode(JSONValue.object(config))
    try store.createStageRun(run)
    if let outcome = InfraOutcome(state: state, terminationCause: nil) { try store.setInfraOutcome(id, outcome) }
    return run
  }

  static func results(
    _ value: Double, metric: String = "val_acc", outcome: String = "success", notes: String = "held-out accuracy"
  ) -> JSONValue {
    [
      "primary_metric": .string(metric), "direction": "maximize", "value": .double(value), "dataset_split": "val",
      "ml_outcome": .string(outcome), "notes": .string(notes),
    ]
  }

  static func expectCode(
    _ code: GoldfishError.Code, _ body: () throws -> Void, _ check: (GoldfishError) -> Void = { _ in }
  ) {
    do {
      try body()
      Issue.record("expected \(code.rawValue), nothing was thrown")
    } catch let error as GoldfishError {
      #expect(error.code == code, "\(error)")
      check(error)
    } catch {
      Issue.record("expected a GoldfishError, got \(error)")
    }
  }

  @Test("finalizing two runs compares the second with the first: metric delta and config diff")
  func finalizeAndCompare() throws {
    let fixture = try ProjectFixture()
    try fixture.mountedWorkspace()
    let store = fixture.project.store
    let records = fixture.project.records
    try Self.endedRun(store, "stage-first", config: ["lr": .double(0.1), "layers": 2, "optimizer": ["name": "sgd"]])
    try Self.endedRun(
      store, "stage-second", config: ["lr": .double(0.01), "dropout": .double(0.2), "optimizer": ["name": "sgd"]])

    let first = try records.finalize("stage-first", results: Self.results(0.8), by: "cli")
    #expect(first.resultsStatus == .finalized && first.stageRunID == "stage-first")
    #expect(first.state == .completed)
    #expect(first.comparison.vsPrevious == nil && first.comparison.vsBest == nil && first.comparison.configDiff == nil)

    let second = try records.finalize("stage-second", results: Self.results(0.8512345678), by: "ml_claude")
    let previous = try #require(second.comparison.vsPrevious)
    #expect(previous.record == first.recordID && previous.stageRunID == "stage-first")
    #expect(previous.delta == 0.051235)
    let diff = try #require(second.comparison.configDiff)
    #expect(diff.changed == ["lr": .init(from: .double(0.1), to: .double(0.01))])
    #expect(diff.added == ["dropout": .double(0.2)])
    #expect(diff.removed == ["layers": 2])
    #expect(second.comparison.vsBest == nil)

    let stored = try #require(try store.runResults("stage-second"))
    #expect(stored.resultsStatus == .finalized && stored.mlOutcome == .success)
    #expect(stored.finalizedBy == "ml_claude" && stored.finalizedAt != nil)
    #expect(stored.primaryMetric == "val_acc" && stored.primaryValue == 0.8512345678)
    let storedComparison = try JSONCoding.parse(try #require(stored.comparison))
    #expect(storedComparison["vs_previous"]?["record"]?.stringValue == first.recordID)
    #expect(try store.stageRun("stage-second")?.state == .completed)
    #expect(try store.transitions(of: "stage-second").last?.event == "user_finalize")
    #expect(try store.unfinalizedRuns(workspace: "baseline").isEmpty)
    #expect(try store.recentAudit(limit: 1, workspace: "baseline").first?.operation == "finalize_run")
  }

  @Test("the best is the newest best tag, or the spec's baseline_run, and deltas are against it")
  func vsBest() throws {
    let fixture = try ProjectFixture()
    try fixture.mountedWorkspace()
    let store = fixture.project.store
    let records = fixture.project.records
    for id in ["stage-a", "stage-b", "stage-c"] { try Self.endedRun(store, id) }
    _ = try records.finalize("stage-a", results: Self.results(0.9), by: "cli")
    _ = try records.finalize("stage-b", results: Self.results(0.7), by: "cli")
    _ = try records.tag("stage-a", "best-1")
    let third = try records.finalize("stage-c", results: Self.results(0.75), by: "cli")
    let best = try #require(third.comparison.vsBest)
    #expect(best.tag == "best-1" && best.delta == -0.15)
    #expect(best.record == (try store.record(ofStageRun: "stage-a"))?.id)
    #expect(third.comparison.vsPrevious?.stageRunID == "stage-b" && third.comparison.vsPrevious?.delta == 0.05)

    try Self.endedRun(store, "stage-d")
    try records.saveResultsSpec(
      stageRunID: "stage-d", recordID: nil,
      spec: [
        "primary_metric": "val_acc", "direction": "maximize", "min_value": .double(0.5), "goal_value": .double(0.95),
        "dataset_split": "val", "tolerance": .double(0.01), "context": "beat the plain baseline run",
        "baseline_run": "stage-b",
      ])
    let fourth = try records.finalize("stage-d", results: Self.results(0.8), by: "cli")
    #expect(fourth.comparison.vsBest?.record == (try store.record(ofStageRun: "stage-b"))?.id)
    #expect(fourth.comparison.vsBest?.delta == 0.1 && fourth.comparison.vsBest?.tag == nil)
  }

  @Test("finalizing again replaces the result, and a failed run is finalized without changing its state")
  func refinalizeAndFailed() throws {
    let fixture = try ProjectFixture()
    try fixture.mountedWorkspace()
    let store = fixture.project.store
    let records = fixture.project.records
    try Self.endedRun(store, "stage-one")
    try Self.endedRun(store, "stage-two", state: .completed)
    try Self.endedRun(store, "stage-broken", state: .failed)
    _ = try records.finalize("stage-one", results: Self.results(0.5), by: "cli")
    let again = try records.finalize("stage-one", results: Self.results(0.6, outcome: "partial"), by: "cli")
    #expect(again.state == .completed && again.comparison.vsPrevious == nil)
    let row = try #require(try store.runResults("stage-one"))
    #expect(row.primaryValue == 0.6 && row.mlOutcome == .partial)
    #expect(try store.transitions(of: "stage-one").filter { $0.event == "user_finalize" }.count == 1)

    let completed = try records.finalize("stage-two", results: Self.results(0.7), by: "cli")
    #expect(completed.state == .completed && completed.comparison.vsPrevious?.stageRunID == "stage-one")

    let failed = try records.finalize("stage-broken", results: Self.results(0.1, outcome: "miss"), by: "cli")
    #expect(failed.state == .failed)
    #expect(try store.stageRun("stage-broken")?.state == .failed)
    #expect(try store.runResults("stage-broken")?.resultsStatus == .finalized)

    try Self.endedRun(store, "stage-early", state: .building)
    Self.expectCode(.invalidTransition) { _ = try records.finalize("stage-early", results: Self.results(1), by: "cli") }
    #expect(try store.runResults("stage-early")?.resultsStatus == .missing)
  }

  @Test("bad results are refused naming the unknown and the missing keys, and nothing is written")
  func badPayloads() throws {
    let fixture = try ProjectFixture()
    try fixture.mountedWorkspace()
    let store = fixture.project.store
    let records = fixture.project.records
    try Self.endedRun(store, "stage-x")
    var typo = Self.results(0.5).objectValue ?? [:]
    typo["valeu"] = typo.removeValue(forKey: "value")
    Self.expectCode(.invalidArgument, { _ = try records.finalize("stage-x", results: .object(typo), by: "cli") }) {
      #expect($0.message.contains("valeu"))
      #expect($0.hint?.contains("value") == true && $0.hint?.contains("notes") == true)
    }
    Self.expectCode(
      .invalidArgument, { _ = try records.finalize("stage-x", results: ["primary_metric": "loss"], by: "cli") }
    ) {
      #expect($0.message.contains("direction") && $0.message.contains("notes"))
    }
    Self.expectCode(.invalidArgument) {
      _ = try records.finalize("stage-x", results: Self.results(0.5, notes: "short"), by: "cli")
    }
    Self.expectCode(.notFound) { _ = try records.finalize("stage-nope", results: Self.results(0.5), by: "cli") }
    Self.expectCode(.invalidArgument) { _ = try records.finalize("what", results: Self.results(0.5), by: "cli") }
    #expect(try store.runResults("stage-x")?.resultsStatus == .missing)
    #expect(try store.stageRun("stage-x")?.state == .awaitingUserFinalization)
  }

  @Test("tags are unique per workspace across run and version tags, and @tag resolves to its record")
  func tags() throws {
    let fixture = try ProjectFixture()
    try fixture.mountedWorkspace()
    try fixture.write("notes.txt", "a change worth saving")
    let saved = try fixture.project.workspaces.checkpoint(slot: "w1", message: "save a change")
    let checkpointVersion = try VersionLabel.parse(saved.version)
    let store = fixture.project.store
    let records = fixture.project.records
    try Self.endedRun(store, "stage-t")
    let runRecord = try #require(try store.record(ofStageRun: "stage-t"))

    let tagged = try records.tag("stage-t", "best-1")
    #expect(tagged.recordID == runRecord.id && tagged.recordType == "run" && tagged.workspaceName == "baseline")
    #expect(try records.inspect("@best-1", workspace: "baseline").record == runRecord)
    #expect(try RecordRef.resolve(runRecord.id.lowercased(), workspace: nil, in: store) == runRecord)

    Self.expectCode(.alreadyExists, { _ = try records.tagVersion(workspace: "baseline", version: 1, tag: "best-1") }) {
      #expect($0.message.contains("stage-t"))
    }
    _ = try records.tagVersion(workspace: "baseline", version: checkpointVersion, tag: "milestone")
    Self.expectCode(.alreadyExists, { _ = try records.tag("stage-t", "milestone") }) {
      #expect($0.message.contains("version v\(checkpointVersion)"))
    }
    let checkpoint = try records.inspect("@milestone", workspace: "baseline")
    #expect(checkpoint.record.kind == .checkpoint && checkpoint.record.version == checkpointVersion)
    #expect(checkpoint.tags == ["milestone"])

    Self.expectCode(.invalidName, { _ = try records.tag("stage-t", "no spaces") }) {
      #expect($0.hint?.contains("letters, digits") == true)
    }
    Self.expectCode(.invalidArgument) { _ = try records.inspect("@best-1") }
    Self.expectCode(.notFound, { _ = try records.inspect("@nothing", workspace: "baseline") }) {
      #expect($0.hint?.contains("best-1") == true)
    }
    Self.expectCode(.invalidArgument, { _ = try records.inspect("stage-t", include: ["results", "everything"]) }) {
      #expect($0.hint?.contains("comparison") == true)
    }

    try records.untag(workspace: "baseline", "best-1")
    _ = try records.tagVersion(workspace: "baseline", version: 1, tag: "best-1")
    Self.expectCode(.notFound) { try records.untag(workspace: "baseline", "best-1-gone") }
  }

  @Test("inspect_record shows the results with JSON parsed, the comparison and tags as asked")
  func inspect() throws {
    let fixture = try ProjectFixture()
    try fixture.mountedWorkspace()
    let store = fixture.project.store
    let records = fixture.project.records
    try Self.endedRun(store, "stage-i")
    _ = try records.finalize("stage-i", results: Self.results(0.42), by: "cli")
    _ = try records.tag("stage-i", "first")
    let detail = try records.inspect("stage-i", include: ["results", "comparison", "tags"])
    let encoded = try JSONCoding.value(of: detail)
    #expect(encoded["results"]?["results_final"]?["value"] == .double(0.42))
    #expect(encoded["results"]?["results_status"] == "finalized")
    #expect(encoded["comparison"]?.objectValue?.keys.sorted() == ["config_diff", "vs_best", "vs_previous"])
    #expect(encoded["tags"] == ["first"])
    let plain = try JSONCoding.value(of: try records.inspect("stage-i"))
    #expect(plain["comparison"] == nil && plain["tags"] == ["first"] && plain["type"] == "run")
  }

  @Test("prune and unprune single versions and ranges, keeping tagged and newest; prune_before_tag")
  func pruning() throws {
    let fixture = try ProjectFixture()
    try fixture.mountedWorkspace()
    for index in 1...5 {
      try fixture.write("notes.txt", "change \(index)")
      _ = try fixture.project.workspaces.checkpoint(slot: "w1", message: "save change \(index)")
    }
    let records = fixture.project.records
    let all = try records.versions(workspace: "baseline", includePruned: true).versions.map(\.version.version)
    let newest = try #require(all.first)
    #expect(all == Array((1...newest).reversed()) && newest >= 5)

    Self.expectCode(.invalidArgument) { _ = try records.prune(workspace: "baseline", .one(2), reason: nil) }
    Self.expectCode(.reasonTooShort) { _ = try records.prune(workspace: "baseline", .one(2), reason: "old") }
    let single = try records.prune(workspace: "baseline", .one(2), reason: "superseded by later changes")
    #expect(single.changed == ["v2"])
    let journaled = try fixture.project.store.recentAudit(limit: 1, workspace: "baseline").first
    #expect(journaled?.operation == "prune_versions" && journaled?.reason == "superseded by later changes")
    #expect(try records.versions(workspace: "baseline").versions.map(\.version.version).contains(2) == false)
    let listed = try records.versions(workspace: "baseline", includePruned: true).versions.first {
      $0.version.version == 2
    }
    #expect(listed?.pruneReason == "superseded by later changes" && listed?.prunedAt != nil)

    _ = try records.tagVersion(workspace: "baseline", version: 3, tag: "keep-me")
    Self.expectCode(.invalidArgument, { _ = try records.prune(workspace: "baseline", .one(3), reason: goodReason) }) {
      #expect($0.message.contains("keep-me"))
    }
    Self.expectCode(.invalidArgument) { _ = try records.prune(workspace: "baseline", .one(newest), reason: goodReason) }
    let range = try records.prune(workspace: "baseline", .range(1, newest), reason: goodReason)
    #expect(range.unchanged == ["v2"])
    #expect(range.kept.map(\.version) == ["v3", "v\(newest)"])
    #expect(range.changed == ["v1"] + (4..<newest).map { "v\($0)" })
    #expect(try records.versions(workspace: "baseline").versions.map(\.version.version) == [newest, 3])
    let history = try records.history(HistoryQuery(workspace: "baseline", kind: .checkpoint, limit: 50))
    #expect(history.records.compactMap(\.entry.version).allSatisfy { [3, newest].contains($0) })
    let withPruned = try records.history(
      HistoryQuery(workspace: "baseline", kind: .checkpoint, includePruned: true, limit: 50))
    #expect(withPruned.total > history.total)

    let back = try records.unprune(workspace: "baseline", .range(1, 2))
    #expect(back.changed == ["v1", "v2"])
    Self.expectCode(.invalidArgument) {
      _ = try VersionSelection.parse(version: nil, from: nil, to: nil, action: "unprune")
    }
    Self.expectCode(.invalidArgument) {
      _ = try VersionSelection.parse(version: nil, from: "v4", to: "v2", action: "prune")
    }
    Self.expectCode(.notFound) { _ = try records.unprune(workspace: "baseline", .one(99)) }

    let before = try records.pruneBeforeTag(workspace: "baseline", tag: "keep-me", reason: goodReason)
    #expect(before.changed == ["v1", "v2"])
    #expect(try records.versions(workspace: "baseline").versions.map(\.version.version) == [newest, 3])
  }

  @Test("the CLI: finalize from a file, records list and show, tag and untag, versions prune and unprune")
  func cli() throws {
    let fixture = try ProjectFixture()
    try fixture.mountedWorkspace()
    for index in 1...2 {
      try fixture.write("notes.txt", "change \(index)")
      _ = try fixture.project.workspaces.checkpoint(slot: "w1", message: "save change \(index)")
    }
    try Self.endedRun(fixture.project.store, "stage-cli", config: ["lr": .double(0.1)])
    func goldfish(_ arguments: [String]) -> CommandResult {
      let result = Command.goldfish(arguments, cwd: fixture.root)
      #expect(result.status == 0, "goldfish \(arguments.joined(separator: " ")): \(result.stderr)")
      return result
    }
    let file = TestEnvironment.temporaryFolder("results") + "/results.json"
    try JSONCoding.encode(Self.results(0.61)).write(toFile: file, atomically: true, encoding: .utf8)
    let finalized = try #require(
      try goldfish(["finalize", "stage-cli", "--results-file", file, "--json"]).json() as? [String: Any])
    #expect(finalized["results_status"] as? String == "finalized" && finalized["state"] as? String == "completed")
    #expect(try fixture.project.store.runResults("stage-cli")?.finalizedBy == "cli")
    let refused = Command.goldfish(["finalize", "stage-cli", "--results", "{\"value\": 1}"], cwd: fixture.root)
    #expect(refused.status != 0 && refused.stderr.contains("primary_metric"), "\(refused.stderr)")

    #expect(goldfish(["tag", "stage-cli", "best-1"]).stdout.contains("best-1"))
    let listed = try #require(
      try goldfish(["records", "list", "baseline", "--finalized-only", "--sort-by", "metric", "--json"]).json()
        as? [String: Any])
    let rows = try #require(listed["records"] as? [[String: Any]])
    #expect(rows.count == 1 && rows.first?["tags"] as? [String] == ["best-1"])
    let shown = try #require(
      try goldfish(["records", "show", "@best-1", "--workspace", "baseline", "--include", "comparison"]).json()
        as? [String: Any])
    #expect(shown["stage_run_id"] as? String == "stage-cli" && shown["comparison"] is [String: Any])
    #expect(goldfish(["records", "unfinalized", "baseline"]).stdout.contains("Nothing to finalize"))
    _ = goldfish(["untag", "baseline", "best-1"])

    _ = goldfish(["versions", "prune", "baseline", "v1", "--reason", goodReason])
    let versions = try #require(try goldfish(["versions", "list", "baseline", "--json"]).json() as? [String: Any])
    #expect((versions["versions"] as? [[String: Any]])?.contains { $0["version"] as? String == "v1" } == false)
    _ = goldfish(["versions", "unprune", "baseline", "--from", "v1", "--to", "v1"])
    let again = try #require(try goldfish(["versions", "list", "baseline", "--json"]).json() as? [String: Any])
    #expect((again["versions"] as? [[String: Any]])?.contains { $0["version"] as? String == "v1" } == true)
  }
}
