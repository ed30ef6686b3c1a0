import Foundation
import PluginKit
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// The CLI's `--json` and the MCP server show each record through one Host view
/// (`Sources/Host/Views`): for the same run, workspace, version, source and warm pool, both
/// faces answer with the same fields and the same values.
@Suite("CLI --json and MCP answer with the same views", .serialized)
struct FaceSymmetryTests {
  /// Key by key, so a failure names the field that differs.
  static func expectSame(
    _ cli: Any?, _ mcp: Any?, _ what: String, sourceLocation: SourceLocation = #_sourceLocation
  ) {
    guard let cli = cli as? [String: Any], let mcp = mcp as? [String: Any] else {
      Issue.record(
        "\(what): not two objects (CLI \(String(describing: cli)), MCP \(String(describing: mcp)))",
        sourceLocation: sourceLocation)
      return
    }
    #expect(Set(cli.keys) == Set(mcp.keys), "\(what): fields differ", sourceLocation: sourceLocation)
    #expect(!cli.isEmpty, "\(what): no fields", sourceLocation: sourceLocation)
    for key in cli.keys.sorted() where mcp[key] != nil {
      let (left, right) = (canonical(cli[key]), canonical(mcp[key]))
      #expect(left == right, "\(what).\(key): CLI \(left) vs MCP \(right)", sourceLocation: sourceLocation)
    }
  }

  /// A parsed JSON value written out again with sorted keys: equal text, equal value.
  static func canonical(_ value: Any?) -> String {
    let data = try? JSONSerialization.data(
      withJSONObject: value ?? NSNull(), options: [.sortedKeys, .fragmentsAllowed, .withoutEscapingSlashes])
    return data.map { String(decoding: $0, as: UTF8.self) } ?? "<not JSON>"
  }

  static func cliJSON(_ arguments: [String], in fixture: ProjectFixture) throws -> Any {
    let result = Command.goldfish(arguments, cwd: fixture.root)
    try #require(result.status == 0, "goldfish \(arguments.joined(separator: " ")): \(result.stderr)")
    return try result.json()
  }

  @Test("runs, a run in full, workspaces, versions, sources, the warm pool and lineage")
  func sameRecordsBothWays() throws {
    let fixture = try SamplePipeline.project()
    let (_, runs) = try SamplePipeline.run(fixture, ["preprocess"])
    let run = try #require(runs.first)
    #expect(run.state == .awaitingUserFinalization, "\(run.error ?? "")")

    let cliRuns = try #require(try Self.cliJSON(["runs", "--json"], in: fixture) as? [[String: Any]])
    let cliInspect = try Self.cliJSON(["inspect", run.id], in: fixture)
    let cliWorkspaces = try #require(try Self.cliJSON(["workspace", "list", "--json"], in: fixture) as? [Any])
    let cliVersionListing = try #require(
      try Self.cliJSON(["versions", "list", "line", "--json"], in: fixture) as? [String: Any])
    let cliVersions = try #require(cliVersionListing["versions"] as? [Any])
    let cliSources = try #require(try Self.cliJSON(["source", "list", "--json"], in: fixture) as? [Any])
    let cliPool = try Self.cliJSON(["pool", "status", "--json"], in: fixture)
    let cliLineage = try Self.cliJSON(["lineage", run.id], in: fixture)

    let session = try MCPSession(project: fixture.root)
    defer { session.close() }
    session.callTool(id: 1, "list_runs", [:])
    session.callTool(id: 2, "inspect_run", ["run_id": run.id])
    session.callTool(id: 3, "list_workspaces", [:])
    session.callTool(id: 4, "manage_versions", ["workspace": "line"])
    session.callTool(id: 5, "list_sources", [:])
    session.callTool(id: 6, "warm_pool_status", [:])
    session.callTool(id: 7, "lineage", ["run_id": run.id])
    session.waitForResponses(Array(1...7), seconds: 120)
    func structured(_ id: Int) -> [String: Any] {
      let result = session.responses[id]?["result"] as? [String: Any]
      #expect(result?["isError"] as? Bool == false, "call \(id): \(session.responses[id] ?? [:])")
      return result?["structuredContent"] as? [String: Any] ?? [:]
    }

    let mcpRuns = try #require(structured(1)["runs"] as? [[String: Any]])
    #expect(cliRuns.count == 1 && mcpRuns.count == 1)
    Self.expectSame(cliRuns.first, mcpRuns.first, "stage run")
    Self.expectSame(cliInspect, structured(2), "run detail")
    let mcpWorkspaces = try #require(structured(3)["workspaces"] as? [Any])
    #expect(cliWorkspaces.count == mcpWorkspaces.count && !cliWorkspaces.isEmpty)
    for (cli, mcp) in zip(cliWorkspaces, mcpWorkspaces) { Self.expectSame(cli, mcp, "workspace") }
    let mcpVersions = try #require(structured(4)["versions"] as? [Any])
    #expect(cliVersions.count == mcpVersions.count && !cliVersions.isEmpty)
    for (cli, mcp) in zip(cliVersions, mcpVersions) { Self.expectSame(cli, mcp, "version") }
    let mcpSources = try #require(structured(5)["sources"] as? [Any])
    #expect(cliSources.count == 1 && mcpSources.count == 1)
    Self.expectSame(cliSources.first, mcpSources.first, "source")
    Self.expectSame(cliPool, structured(6), "warm pool")
    Self.expectSame(cliLineage, structured(7), "lineage")
    #expect((structured(7)["inputs"] as? [Any])?.isEmpty == false, "the run read the points dataset")
  }

  /// `structuredContent` of a call, failing the test when the call was an error.
  static func structured(
    _ session: MCPSession, _ id: Int, sourceLocation: SourceLocation = #_sourceLocation
  ) -> [String: Any] {
    let result = session.responses[id]?["result"] as? [String: Any]
    #expect(
      result?["isError"] as? Bool == false, "call \(id): \(session.responses[id] ?? [:])",
      sourceLocation: sourceLocation)
    return result?["structuredContent"] as? [String: Any] ?? [:]
  }

  @Test("status, save_version / checkpoint, diff and run without wait")
  func sameActionsBothWays() throws {
    let fixture = try SamplePipeline.project(configure: SamplePipeline.withoutFinalizationGate)
    try fixture.write("notes.txt", "first\n")

    // status: every field the same; next_steps is each face's own (commands vs tool calls).
    let cliStatus = try #require(try Self.cliJSON(["status", "--json"], in: fixture) as? [String: Any])
    let session = try MCPSession(project: fixture.root)
    defer { session.close() }
    session.callTool(id: 1, "status", [:])
    session.waitForResponses([1], seconds: 120)
    let mcpStatus = Self.structured(session, 1)
    #expect(Set(cliStatus.keys) == Set(mcpStatus.keys), "status fields differ")
    #expect(cliStatus["next_steps"] is [String] && mcpStatus["next_steps"] is [String])
    Self.expectSame(
      cliStatus.filter { $0.key != "next_steps" }, mcpStatus.filter { $0.key != "next_steps" }, "status")
    #expect((cliStatus["slots"] as? [[String: Any]])?.first?["dirty"] as? Bool == true, "\(cliStatus)")

    // checkpoint: the CLI saves twice; then both faces save again with nothing changed, the same answer.
    let first = try #require(
      try Self.cliJSON(["workspace", "checkpoint", "w1", "--message", "first notes", "--json"], in: fixture)
        as? [String: Any])
    try fixture.write("notes.txt", "second\n")
    let saved = try #require(
      try Self.cliJSON(["workspace", "checkpoint", "w1", "--message", "add notes", "--json"], in: fixture)
        as? [String: Any])
    #expect(saved["created"] as? Bool == true && saved["files_changed"] as? [String] == ["notes.txt"], "\(saved)")
    let cliAgain = try Self.cliJSON(["workspace", "checkpoint", "w1", "--message", "again", "--json"], in: fixture)
    session.callTool(id: 2, "save_version", ["slot": "w1", "message": "again"])
    session.waitForResponses([2], seconds: 120)
    let mcpAgain = Self.structured(session, 2)
    #expect(mcpAgain["created"] as? Bool == false, "\(mcpAgain)")
    Self.expectSame(cliAgain, mcpAgain, "save_version")
    #expect(Set(saved.keys) == Set(mcpAgain.keys), "save_version fields: \(saved.keys.sorted())")

    // diff of the two versions, asked both ways.
    let (from, to) = (try #require(first["version"] as? String), try #require(saved["version"] as? String))
    #expect(from != to, "\(first) then \(saved)")
    let cliDiff = try Self.cliJSON(["workspace", "diff", "line@\(from)", "line@\(to)", "--json"], in: fixture)
    session.callTool(id: 3, "diff", ["target": "line@\(from)", "against": "line@\(to)"])
    session.waitForResponses([3], seconds: 120)
    let mcpDiff = Self.structured(session, 3)
    #expect(
      mcpDiff["has_changes"] as? Bool == true && (mcpDiff["diff_text"] as? String)?.contains("+second") == true,
      "\(mcpDiff)")
    Self.expectSame(cliDiff, mcpDiff, "diff")

    // run without wait: two runs, so their ids differ; the fields and what was queued agree.
    let cliRun = try #require(
      try Self.cliJSON(["run", "w1", "preprocess", "--reason", goodReason, "--json"], in: fixture) as? [String: Any])
    session.callTool(
      id: 4, "run",
      ["workspace": "w1", "stages": ["preprocess"], "reason": goodReason, "results_spec": SamplePipeline.resultsSpec])
    session.waitForResponses([4], seconds: 120)
    let mcpRun = Self.structured(session, 4)
    #expect(
      Set(cliRun.keys) == Set(mcpRun.keys),
      "run fields differ: CLI \(cliRun.keys.sorted()), MCP \(mcpRun.keys.sorted())")
    for key in ["workspace", "stages_queued", "status", "experiment_group"] {
      #expect(Self.canonical(cliRun[key]) == Self.canonical(mcpRun[key]), "run.\(key): \(cliRun) vs \(mcpRun)")
    }
    let cliQueued = try #require((cliRun["queued"] as? [[String: Any]])?.first)
    let mcpQueued = try #require((mcpRun["queued"] as? [[String: Any]])?.first)
    #expect(Set(cliQueued.keys) == Set(mcpQueued.keys) && cliQueued["stage"] as? String == "preprocess")
    #expect(cliQueued["pipeline_run_id"] as? String == cliRun["pipeline_run_id"] as? String)
  }
}
