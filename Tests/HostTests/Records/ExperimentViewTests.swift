import Foundation
import MCP
import PluginKit
import Testing

@testable import GoldfishMCP
@testable import GoldfishTestSupport
@testable import Host

/// The experiment view of issue #13: what is best, what waits for finalization, the trend and
/// the regressions, as get_experiment_context, STATE.md, status, dashboard and mount show them.
@Suite("Experiment view")
struct ExperimentViewTests {
  /// A research session's history in workspace `baseline` (val_acc, maximize):
  /// old (0.50, finalized) · first (0.80) · better (0.90, tagged best-1) · worse (0.85, tolerance
  /// 0.01: a regression) · close (0.87, tolerance 0.05: within it) · waiting (ended, not finalized)
  /// · dropped (canceled) · broken (failed, not finalized).
  static func session() throws -> ProjectFixture {
    let fixture = try ProjectFixture()
    try fixture.mountedWorkspace("baseline")
    let project = fixture.project
    let seed = { (id: String, outcome: InfraOutcome, tolerance: Double?) throws -> Void in
      _ = try ExperimentSeeds.run(project, id, workspace: "baseline", outcome: outcome, tolerance: tolerance)
    }
    try seed("stage-0001", .completed, nil)
    try ExperimentSeeds.finalize(project, "stage-0001", value: 0.50)
    try seed("stage-0002", .completed, 0.01)
    try ExperimentSeeds.finalize(project, "stage-0002", value: 0.80)
    try seed("stage-0003", .completed, 0.01)
    try ExperimentSeeds.finalize(project, "stage-0003", value: 0.90)
    try ExperimentSeeds.tag(project, "stage-0003", "best-1")
    try seed("stage-0004", .completed, 0.01)
    try ExperimentSeeds.finalize(project, "stage-0004", value: 0.85, mlOutcome: .miss)
    try seed("stage-0005", .completed, 0.05)
    try ExperimentSeeds.finalize(project, "stage-0005", value: 0.87, mlOutcome: .partial)
    try seed("stage-0006", .completed, 0.01)
    try seed("stage-0007", .canceled, nil)
    try seed("stage-0008", .crashed, nil)
    try project.journal.regenerateStateMD()
    return fixture
  }

  @Test("the context names the newest best tag, the runs awaiting finalization, the trend and the regressions")
  func contextOfASession() throws {
    let fixture = try Self.session()
    let project = fixture.project
    let context = try ExperimentContext.load(project.store, workspace: "baseline")

    let best = try #require(context.currentBest)
    #expect(best.tag == "best-1" && best.stageRunID == "stage-0003")
    let bestRecord = try ExperimentSeeds.recordID(project, "stage-0003")
    #expect(best.recordID == bestRecord)
    #expect(best.metric == "val_acc" && best.value == 0.90 && best.direction == "maximize")

    // Canceled runs never wait; completed and crashed ones do until finalized.
    #expect(context.awaitingFinalization.map(\.stageRunID) == ["stage-0006", "stage-0008"])
    #expect(context.awaitingFinalization.map(\.infraOutcome) == ["completed", "crashed"])
    #expect(context.awaitingFinalization.allSatisfy { $0.age.hasSuffix("ago") })

    #expect(
      context.recentTrend.map(\.stageRunID) == ["stage-0005", "stage-0004", "stage-0003", "stage-0002", "stage-0001"])
    #expect(context.recentTrend.map(\.value) == [0.87, 0.85, 0.90, 0.80, 0.50])
    #expect(context.recentTrend.map(\.tolerance) == [0.05, 0.01, 0.01, 0.01, 0.01], "no spec: the default 0.01")
    #expect(context.recentTrend.allSatisfy { $0.primaryMetric == "val_acc" && $0.direction == "maximize" })

    // Only runs newer than the best, worse beyond their tolerance: 0.85 < 0.90 − 0.01; 0.87 is
    // within 0.05; 0.50 is older than the best.
    let alert = try #require(context.regressionAlerts.first)
    #expect(context.regressionAlerts.count == 1)
    #expect(alert.stageRunID == "stage-0004" && alert.value == 0.85 && alert.bestValue == 0.90)
    #expect(abs(alert.delta - -0.05) < 1e-9 && alert.direction == "maximize")
  }

  @Test("minimize: a newer value above best + tolerance is a regression; the trend keeps the newest 10")
  func minimizeAndTrendLength() throws {
    let fixture = try ProjectFixture()
    try fixture.mountedWorkspace("loss")
    let project = fixture.project
    for index in 1...12 {
      let id = String(format: "stage-1%03d", index)
      try ExperimentSeeds.run(project, id, workspace: "loss", metric: "val_loss", direction: "minimize")
      try ExperimentSeeds.finalize(
        project, id, value: index == 3 ? 0.20 : index == 12 ? 0.205 : 0.20 + Double(index) / 100, metric: "val_loss",
        direction: "minimize")
      if index == 3 { try ExperimentSeeds.tag(project, id, "best") }
    }
    let context = try ExperimentContext.load(project.store, workspace: "loss")
    #expect(context.currentBest?.stageRunID == "stage-1003" && context.currentBest?.direction == "minimize")
    #expect(context.recentTrend.count == 10 && context.recentTrend.first?.stageRunID == "stage-1012")
    // 4…11 are above 0.20 + 0.01; 12 (0.205) is within the tolerance.
    #expect(context.regressionAlerts.map(\.stageRunID) == (4...11).reversed().map { String(format: "stage-1%03d", $0) })
    #expect(context.regressionAlerts.allSatisfy { $0.delta > 0.01 })
  }

  @Test("a workspace without a best tag has no current best and no regression alerts")
  func noBest() throws {
    let fixture = try ProjectFixture()
    try fixture.mountedWorkspace("fresh")
    try ExperimentSeeds.run(fixture.project, "stage-2001", workspace: "fresh")
    try ExperimentSeeds.finalize(fixture.project, "stage-2001", value: 0.3)
    let context = try ExperimentContext.load(fixture.project.store, workspace: "fresh")
    #expect(context.currentBest == nil && context.regressionAlerts.isEmpty && context.recentTrend.count == 1)
    let json = try #require(context.json.objectValue)
    #expect(json["current_best"] == .null && json["regression_alerts"] == .array([]))
  }

  @Test("STATE.md has an Experiment Summary per workspace and shows awaiting runs as awaiting, not running")
  func stateMarkdown() throws {
    let fixture = try Self.session()
    let text = try String(contentsOfFile: fixture.project.paths.stateMD, encoding: .utf8)
    let summary = try #require(Self.section("## Experiment Summary", in: text), "\(text)")
    #expect(summary.contains("### baseline"), "\(summary)")
    #expect(summary.contains("best-1") && summary.contains("stage-0003") && summary.contains("0.9"), "\(summary)")
    #expect(summary.contains("stage-0006") && summary.contains("finalize_run"), "\(summary)")
    #expect(summary.contains("0.5 → 0.8 → 0.9 → 0.85 → 0.87"), "\(summary)")
    #expect(summary.contains("stage-0004") && summary.contains("Regression alert"), "\(summary)")

    let background = Self.section("## Background runs", in: text) ?? ""
    #expect(!background.contains("stage-0006"), "an awaiting run is not running: \(background)")
    let recent = try #require(Self.section("## Recent runs", in: text), "\(text)")
    let waiting = try #require(recent.split(separator: "\n").first { $0.contains("stage-0006") }, "\(recent)")
    #expect(waiting.contains("⏸") && waiting.contains("awaiting finalization"), "\(waiting)")
    #expect(recent.split(separator: "\n").first { $0.contains("stage-0008") }?.contains("✗") == true, "\(recent)")
  }

  @Test("status and dashboard return pending_finalization by workspace, recent_outcomes and failed_recent")
  func statusAndDashboardBlocks() async throws {
    let fixture = try Self.session()
    let status = try ProjectStatus(project: fixture.project)
    #expect(!status.activeRuns.contains { $0.id == "stage-0006" }, "awaiting is not active")
    #expect(status.recentRuns.first { $0.id == "stage-0006" }?.state == "awaiting_user_finalization")
    #expect(status.pendingFinalization["baseline"]?.count == 2)
    #expect(status.pendingFinalization["baseline"]?.example == "stage-0006")

    let session = try MCPSession(project: fixture.root)
    session.callTool(id: 1, "status", [:])
    session.callTool(id: 2, "dashboard", [:])
    session.waitForResponses([1, 2], seconds: 120)
    let responses = session.responses
    session.close()
    for id in [1, 2] {
      let result = try #require(responses[id]?["result"] as? [String: Any], "\(responses[id] ?? [:])")
      let structured = try #require(result["structuredContent"] as? [String: Any], "\(result)")
      let blocks = try #require(structured["blocks"] as? [String: Any], "\(structured)")
      let pending = blocks["pending_finalization"] as? [String: Any]
      let baseline = (pending?["by_workspace"] as? [String: Any])?["baseline"] as? [String: Any]
      #expect(baseline?["count"] as? Int == 2 && baseline?["example"] as? String == "stage-0006", "\(blocks)")
      let outcomes = try #require(structured["recent_outcomes"] as? [[String: Any]], "\(structured)")
      #expect(outcomes.count == 5, "\(outcomes)")
      #expect(outcomes.allSatisfy { $0["workspace"] as? String == "baseline" && $0["age"] is String })
      #expect(outcomes.contains { $0["outcome"] as? String == "awaiting_user_finalization" }, "\(outcomes)")
      let alerts = try #require(structured["alerts"] as? [String: Any], "\(structured)")
      let failed = try #require(alerts["failed_recent"] as? [[String: Any]], "\(alerts)")
      #expect(failed.map { $0["run_id"] as? String } == ["stage-0008"], "\(failed)")
      #expect(failed.first?["age"] is String && failed.first?["stage"] as? String == "train")
    }
  }

  @Test("get_experiment_context over MCP (the real server) and `goldfish workspace context` agree")
  func faces() throws {
    let fixture = try Self.session()
    let session = try MCPSession(project: fixture.root)
    session.callTool(id: 1, "get_experiment_context", ["workspace": "w1"])
    session.callTool(id: 2, "get_experiment_context", ["workspace": "nope"])
    session.waitForResponses([1, 2], seconds: 120)
    let responses = session.responses
    session.close()
    let result = try #require(responses[1]?["result"] as? [String: Any], "\(responses[1] ?? [:])")
    let context = try #require(result["structuredContent"] as? [String: Any], "\(result)")
    #expect(context["workspace"] as? String == "baseline", "a slot names the workspace it holds")
    let best = try #require(context["current_best"] as? [String: Any], "\(context)")
    #expect(
      best["tag"] as? String == "best-1" && best["value"] as? Double == 0.9 && best["metric"] as? String == "val_acc")
    #expect((context["awaiting_finalization"] as? [[String: Any]])?.count == 2)
    #expect((context["recent_trend"] as? [[String: Any]])?.first?["tolerance"] as? Double == 0.05)
    let alerts = try #require(context["regression_alerts"] as? [[String: Any]])
    #expect(alerts.first?["best_value"] as? Double == 0.9 && alerts.first?["direction"] as? String == "maximize")
    let missing = try #require(responses[2]?["result"] as? [String: Any])
    #expect(missing["isError"] as? Bool == true && "\(missing)".contains("no workspace nope"), "\(missing)")

    let cli = Command.goldfish(["workspace", "context", "baseline", "--json"], cwd: fixture.root)
    #expect(cli.status == 0, "\(cli.stderr)")
    let json = try #require(try cli.json() as? [String: Any], "\(cli.stdout)")
    #expect((json["current_best"] as? [String: Any])?["record_id"] as? String == best["record_id"] as? String)
    let text = Command.goldfish(["workspace", "context", "baseline"], cwd: fixture.root)
    #expect(text.stdout.contains("best-1") && text.stdout.contains("stage-0004"), "\(text.stdout)")
  }

  @Test("rollback lists the files it reverted: added, modified and deleted relative to the slot")
  func rollbackFiles() async throws {
    let fixture = try ProjectFixture()
    try fixture.mountedWorkspace("baseline")
    try fixture.write("keep.txt", "one\n")
    try fixture.write("gone/later.txt", "restored by the rollback\n")
    _ = try fixture.project.workspaces.checkpoint(slot: "w1", message: "the files to go back to")
    try fixture.write("keep.txt", "two\n")
    try FileManager.default.removeItem(atPath: fixture.slot("w1") + "/gone/later.txt")
    try fixture.write("new/added.txt", "removed by the rollback\n")

    let result = await Self.mcp(fixture, "rollback", ["slot": "w1", "version": "v1", "reason": .string(goodReason)])
    let output = try #require(result.structuredContent?.objectValue, "\(result)")
    #expect(output["files_reverted"] == ["gone/later.txt", "keep.txt", "new/added.txt"], "\(output)")
    #expect(
      output["changes"]
        == [
          ["path": "gone/later.txt", "status": "added"], ["path": "keep.txt", "status": "modified"],
          ["path": "new/added.txt", "status": "deleted"],
        ], "\(output)")
    #expect(output["git_tag"] == "baseline-v1", "\(output)")
    #expect(fixture.read("keep.txt") == "one\n" && fixture.read("new/added.txt") == nil)

    // Back to v2 (the unsaved work, saved first): the same three files, the other way round.
    let cli = Command.goldfish(["workspace", "rollback", "w1", "v2", "--reason", goodReason], cwd: fixture.root)
    #expect(cli.status == 0, "\(cli.stderr)")
    #expect(cli.stdout.contains("keep.txt") && cli.stdout.contains("new/added.txt"), "\(cli.stdout)")
    let again = Command.goldfish(["workspace", "rollback", "w1", "v2", "--reason", goodReason], cwd: fixture.root)
    #expect(again.stdout.contains("no files changed"), "\(again.stdout)")
  }

  @Test("mount returns the experiment context, the last checkpoint and a warning past three active slots")
  func mountFields() async throws {
    let fixture = try ProjectFixture { root in
      let path = root + "/goldfish.yaml"
      let text = try String(contentsOfFile: path, encoding: .utf8)
      try text.replacingOccurrences(of: "slots: [w1, w2, w3]", with: "slots: [w1, w2, w3, w4]")
        .write(toFile: path, atomically: true, encoding: .utf8)
    }
    let project = fixture.project
    for name in ["a", "b", "c", "d"] {
      _ = try project.workspaces.create(name: name, goal: "a line of work", reason: goodReason)
    }
    _ = try project.workspaces.mount("a", slot: "w1", reason: goodReason)
    try fixture.write("model.py", "lr = 0.1\n")
    _ = try project.workspaces.checkpoint(slot: "w1", message: "a smaller learning rate")
    _ = try project.workspaces.hibernate(slot: "w1", reason: goodReason)
    try ExperimentSeeds.run(project, "stage-3001", workspace: "a")
    try ExperimentSeeds.finalize(project, "stage-3001", value: 0.7)
    try ExperimentSeeds.tag(project, "stage-3001", "best-1")

    let first = try #require(
      await Self.mcp(fixture, "mount", ["workspace": "a", "slot": "w1", "reason": .string(goodReason)])
        .structuredContent?.objectValue)
    let context = try #require(first["experiment_context"]?.objectValue, "\(first)")
    #expect(context["current_best"]?.objectValue?["tag"] == "best-1", "\(context)")
    let checkpoint = try #require(first["last_checkpoint"]?.objectValue, "\(first)")
    #expect(checkpoint["version"] == "v1" && checkpoint["tag"] == "a-v1", "\(checkpoint)")
    #expect(checkpoint["message"] == "a smaller learning rate", "\(checkpoint)")
    #expect(checkpoint["created_at"]?.stringValue != nil)
    #expect(first["warning"] == .null)

    _ = await Self.mcp(fixture, "mount", ["workspace": "b", "slot": "w2", "reason": .string(goodReason)])
    _ = await Self.mcp(fixture, "mount", ["workspace": "c", "slot": "w3", "reason": .string(goodReason)])
    let fourth = try #require(
      await Self.mcp(fixture, "mount", ["workspace": "d", "slot": "w4", "reason": .string(goodReason)])
        .structuredContent?.objectValue)
    #expect(fourth["success"] == true)
    #expect(fourth["warning"]?.stringValue?.contains("3 other slots") == true, "\(fourth)")
    #expect(fourth["last_checkpoint"] == .null, "d has no versions yet: \(fourth)")
  }

  // MARK: helpers

  /// The lines of a `## ` section, up to the next one.
  static func section(_ heading: String, in text: String) -> String? {
    guard let start = text.range(of: heading + "\n") else { return nil }
    let rest = text[start.upperBound...]
    let end = rest.range(of: "\n## ")?.lowerBound ?? rest.endIndex
    return String(rest[..<end])
  }

  static func mcp(_ fixture: ProjectFixture, _ tool: String, _ arguments: [String: Value]) async -> CallTool.Result {
    let tools = Dictionary(ToolRegistry.all.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    let context = ServerContext(explicitProject: fixture.root, startDirectory: fixture.root)
    return await MCPServer.call(
      CallTool.Parameters(name: tool, arguments: arguments), tools: tools, context: context,
      server: Server(name: "t", version: "0"))
  }
}
