import Foundation
import MCP
import Testing

@testable import GoldfishMCP
@testable import GoldfishTestSupport
@testable import Host

/// Every one of upstream's 44 tools (upstream-features.md §1) is offered under its own name;
/// docs/tools.md says for each whether it is the same, improved or intentionally different.
@Suite("Upstream's 44 tools in tools/list")
struct UpstreamToolListTests {
  static let upstream: [String: [String]] = [
    "workspace": [
      "mount", "hibernate", "status", "inspect_workspace", "manage_versions", "create_workspace", "delete_workspace",
      "save_version", "diff", "rollback",
    ],
    "execution": ["run", "inspect_run", "logs", "cancel"],
    "data": ["manage_sources", "register_source", "promote_artifact"],
    "records": [
      "finalize_run", "list_history", "inspect_record", "tag_record", "list_unfinalized_runs", "get_debug_info",
      "get_experiment_context", "save_results_spec", "get_lineage",
    ],
    "infra": ["manage_base_images", "get_build_status", "warm_pool_status", "warm_pool_cleanup"],
    "logging": ["search_goldfish_logs"],
    "svs": ["manage_patterns", "get_run_svs_findings"],
    "utility": [
      "goldfish_version", "initialize_project", "reload_config", "log_thought", "get_workspace_thoughts", "dashboard",
      "validate_config",
    ],
    "backup": ["list_backups", "create_backup", "cleanup_backups", "get_backup_status"],
  ]

  @Test("the list of upstream names is upstream's: 44 tools in 9 groups, no name twice")
  func upstreamList() {
    let names = Self.upstream.values.flatMap { $0 }
    #expect(names.count == 44)
    #expect(Set(names).count == 44)
    #expect(
      Self.upstream.mapValues(\.count) == [
        "workspace": 10, "execution": 4, "data": 3, "records": 9, "infra": 4, "logging": 1, "svs": 2, "utility": 7,
        "backup": 4,
      ])
  }

  @Test("tools/list of a real goldfish serve offers every upstream tool, each name once")
  func everyUpstreamToolIsListed() throws {
    let fixture = try SamplePipeline.project()
    let session = try MCPSession(project: fixture.root)
    session.send(["jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": [String: Any]()])
    session.waitForResponses([1], seconds: 120)
    session.close()
    let result = try #require(session.responses[1]?["result"] as? [String: Any], "\(session.transcript)")
    let names = (result["tools"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
    #expect(names.count > 40, "\(names)")
    #expect(Set(names).count == names.count, "a tool is listed twice: \(names)")
    let missing = Self.upstream.values.flatMap { $0 }.filter { !names.contains($0) }.sorted()
    #expect(missing.isEmpty, "upstream tools not offered: \(missing)")
  }
}
