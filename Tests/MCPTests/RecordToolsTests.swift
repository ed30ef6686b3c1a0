import Foundation
import PluginKit
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// The records tools through the real server, in upstream's names and parameters, on runs of
/// the sample pipeline.
@Suite("MCP records tools: finalize, inspect, tag, history, versions", .serialized)
struct RecordToolsTests {
  final class Client {
    let session: MCPSession
    var next = 100

    init(_ fixture: ProjectFixture) throws { session = try MCPSession(project: fixture.root) }

    /// One call, answered before the next is sent; the whole result.
    func result(_ name: String, _ arguments: [String: Any]) -> [String: Any] {
      next += 1
      session.callTool(id: next, name, arguments)
      session.waitForResponses([next], seconds: 120)
      return session.responses[next]?["result"] as? [String: Any] ?? [:]
    }

    func ok(
      _ name: String, _ arguments: [String: Any], sourceLocation: SourceLocation = #_sourceLocation
    )
      -> [String: Any]
    {
      let result = result(name, arguments)
      #expect(result["isError"] as? Bool == false, "\(name): \(result)", sourceLocation: sourceLocation)
      return result["structuredContent"] as? [String: Any] ?? [:]
    }

    /// The error's structured fields (code, message, hint).
    func refused(
      _ name: String, _ arguments: [String: Any], sourceLocation: SourceLocation = #_sourceLocation
    )
      -> [String: Any]
    {
      let result = result(name, arguments)
      #expect(result["isError"] as? Bool == true, "\(name) was not refused: \(result)", sourceLocation: sourceLocation)
      return result["structuredContent"] as? [String: Any] ?? [:]
    }
  }

  static func results(_ value: Double) -> [String: Any] {
    [
      "primary_metric": "val_loss", "direction": "minimize", "value": value, "dataset_split": "val",
      "ml_outcome": "success", "notes": "validation loss after training",
    ]
  }

  @Test("a session: finalize two runs, compare, tag best, inspect, list by metric, prune and unprune")
  func session() throws {
    let fixture = try SamplePipeline.project()
    let (_, firstRuns) = try SamplePipeline.run(fixture)
    let (_, secondRuns) = try SamplePipeline.run(fixture, overrides: ["train.epochs": .int(50)], rerun: true)
    let first = try #require(firstRuns.first { $0.stage == "train" })
    let second = try #require(secondRuns.first { $0.stage == "train" })
    for run in [first, second] {
      #expect([.completed, .awaitingUserFinalization].contains(run.state), "\(run.error ?? "")")
      // Until every ending records its infra outcome (another part of #13), say it here.
      if try fixture.project.store.runResults(run.id)?.infraOutcome == nil {
        try fixture.project.store.setInfraOutcome(run.id, .completed)
      }
    }
    try fixture.write("notes.txt", "a change worth saving")
    _ = try fixture.project.workspaces.checkpoint(slot: "w1", message: "save a change")
    let client = try Client(fixture)
    defer { client.session.close() }

    let pending = client.ok("list_unfinalized_runs", ["workspace": "w1"])
    let pendingRuns = try #require(pending["runs"] as? [[String: Any]])
    #expect(pendingRuns.compactMap { $0["stage_run_id"] as? String }.contains(first.id))
    #expect(pendingRuns.first { $0["stage_run_id"] as? String == first.id }?["stage_name"] as? String == "train")

    let missing = client.refused(
      "finalize_run", ["record_or_run_id": first.id, "results": ["primary_metric": "val_loss", "vaule": 1]])
    #expect(missing["code"] as? String == "invalid_argument")
    #expect((missing["message"] as? String)?.contains("vaule") == true, "\(missing)")

    let one = client.ok("finalize_run", ["record_or_run_id": first.id, "results": Self.results(0.5)])
    #expect(one["results_status"] as? String == "finalized" && one["stage_run_id"] as? String == first.id)
    #expect((one["comparison"] as? [String: Any])?["vs_previous"] is NSNull)
    let two = client.ok("finalize_run", ["record_or_run_id": second.id, "results": Self.results(0.25)])
    let comparison = try #require(two["comparison"] as? [String: Any])
    let previous = try #require(comparison["vs_previous"] as? [String: Any])
    #expect(previous["record"] as? String == one["record_id"] as? String)
    #expect(previous["delta"] as? Double == -0.25)
    let changed = try #require((comparison["config_diff"] as? [String: Any])?["changed"] as? [String: Any])
    #expect((changed["epochs"] as? [String: Any])?["to"] as? Int == 50, "\(comparison)")
    #expect(try fixture.project.store.stageRun(second.id)?.state == .completed)

    let tagged = client.ok("tag_record", ["ref": second.id, "tag": "best-1"])
    #expect(tagged["record_type"] as? String == "run" && tagged["workspace_name"] as? String == "line")
    let clash = client.refused(
      "manage_versions", ["workspace": "line", "action": "tag", "version": "v\(second.version)", "tag": "best-1"])
    #expect(clash["code"] as? String == "already_exists" && (clash["message"] as? String)?.contains(second.id) == true)

    let inspected = client.ok(
      "inspect_record", ["ref": "@best-1", "workspace": "line", "include": ["results", "comparison", "tags"]])
    #expect(inspected["stage_run_id"] as? String == second.id && inspected["tags"] as? [String] == ["best-1"])
    #expect(((inspected["results"] as? [String: Any])?["results_final"] as? [String: Any])?["value"] as? Double == 0.25)
    #expect(inspected["comparison"] is [String: Any])
    let badInclude = client.refused("inspect_record", ["ref": second.id, "include": ["everything"]])
    #expect((badInclude["hint"] as? String)?.contains("comparison") == true)

    let history = client.ok(
      "list_history", ["workspace": "line", "sort_by": "metric", "finalized_only": true, "desc": false])
    let ordered = try #require(history["records"] as? [[String: Any]])
    #expect(ordered.compactMap { $0["stage_run_id"] as? String } == [second.id, first.id])
    #expect((ordered.first?["primary_metric"] as? [String: Any])?["value"] as? Double == 0.25)
    #expect(ordered.first?["tags"] as? [String] == ["best-1"] && history["total"] as? Int == 2)
    let onlyBest = client.ok("list_history", ["workspace": "line", "tagged": "best-1"])
    #expect((onlyBest["records"] as? [[String: Any]])?.count == 1)
    let anyTag = client.ok("list_history", ["workspace": "line", "tagged": true])
    #expect(anyTag["total"] as? Int == 1)

    let spec: [String: Any] = [
      "primary_metric": "val_loss", "direction": "minimize", "min_value": 0, "goal_value": 0.1,
      "dataset_split": "val", "tolerance": 0.01, "context": "loss of the line fit on held-out points",
    ]
    let saved = client.ok("save_results_spec", ["stage_run_id": first.id, "record_id": "", "spec": spec])
    #expect(saved["success"] as? Bool == true)
    #expect(try fixture.project.store.resultsSpec(ofStageRun: first.id) != nil)
    let badSpec = client.refused("save_results_spec", ["stage_run_id": first.id, "spec": ["primary_metric": "x"]])
    #expect((badSpec["message"] as? String)?.contains("direction") == true)

    let untagged = client.ok("manage_versions", ["workspace": "line", "action": "untag", "tag": "best-1"])
    #expect(untagged["removed_tag"] as? String == "best-1")
    let versions = client.ok("manage_versions", ["workspace": "line", "include_pruned": true])
    let labels = try #require((versions["versions"] as? [[String: Any]])?.compactMap { $0["version"] as? String })
    #expect(labels.count >= 2, "\(versions)")
    let oldest = try #require(labels.last)
    let pruned = client.ok(
      "manage_versions", ["workspace": "line", "action": "prune", "version": oldest, "reason": goodReason])
    #expect((pruned["result"] as? [String: Any])?["changed"] as? [String] == [oldest])
    let visible = client.ok("manage_versions", ["workspace": "line"])
    #expect((visible["versions"] as? [[String: Any]])?.contains { $0["version"] as? String == oldest } == false)
    let neither = client.refused("manage_versions", ["workspace": "line", "action": "unprune"])
    #expect((neither["message"] as? String)?.contains("from_version") == true)
    let back = client.ok(
      "manage_versions", ["workspace": "line", "action": "unprune", "from_version": oldest, "to_version": oldest])
    #expect((back["result"] as? [String: Any])?["changed"] as? [String] == [oldest])
  }
}
