import Foundation
import MCP
import PluginKit
import Testing

@testable import GoldfishMCP
@testable import GoldfishTestSupport
@testable import Host

/// Upstream parameters of the shared tools, with upstream's meaning: inspect_workspace's
/// include, register_source's format/size_bytes and one description, manage_sources' filters
/// and update, get_debug_info's workspace, log_thought's minimum length and run id.
@Suite("Upstream parameters of the shared tools")
struct SharedToolParametersTests {
  typealias T = RunContractTests

  static let csvMetadata: Value = [
    "schema_version": 1, "description": "two hundred noisy points on a line",
    "source": [
      "format": "csv", "size_bytes": 1234, "created_at": "2026-01-01T00:00:00Z", "format_params": ["delimiter": ","],
    ],
    "schema": [
      "kind": "tabular", "row_count": 200, "columns": ["x", "y"], "dtypes": ["x": "float64", "y": "float64"],
    ],
  ]

  @Test("inspect_workspace include: [\"pipeline\"] shows the stages; branches and tags are listed")
  func inspectWorkspacePipeline() async throws {
    let fixture = try SamplePipeline.project()
    _ = try fixture.project.workspaces.create(
      name: "branch", goal: "try another fit", reason: goodReason,
      from: WorkspaceReference(workspace: "line", version: nil))
    let plain = T.ok(await T.call(fixture, "inspect_workspace", ["name": "line"]))
    #expect(plain["pipeline"] == nil)
    #expect(plain["tags"] == .array([]))
    let branches = plain["lineage"]?.objectValue?["branches"]?.arrayValue ?? []
    #expect(branches.compactMap { $0.objectValue?["workspace"]?.stringValue } == ["branch"], "\(plain)")

    let shown = T.ok(await T.call(fixture, "inspect_workspace", ["name": "w1", "include": ["pipeline"]]))
    let pipeline = try #require(shown["pipeline"]?.objectValue, "\(shown)")
    #expect(pipeline["source"] == "w1" && pipeline["name"] == "pipeline")
    let stages = pipeline["stages"]?.arrayValue?.compactMap { $0.objectValue?["name"]?.stringValue }
    #expect(stages == ["preprocess", "train", "evaluate"])
    let bogus = T.failure(
      await T.call(fixture, "inspect_workspace", ["name": "w1", "include": ["bogus"]]), code: "invalid_argument")
    #expect(T.message(bogus).contains("one of: pipeline"))
  }

  @Test("register_source: description, format and size_bytes must agree with the metadata")
  func registerSourceAgreement() async throws {
    let fixture = try ProjectFixture()
    let path = SamplePipeline.samples + "/points.csv"
    func register(_ name: String, _ extra: [String: Value]) async -> CallTool.Result {
      var arguments: [String: Value] = [
        "name": .string(name), "gcs_path": .string(path), "description": "two hundred noisy points on a line",
        "reason": .string(goodReason), "metadata": Self.csvMetadata,
      ]
      arguments.merge(extra) { _, new in new }
      return await T.call(fixture, "register_source", arguments)
    }
    let description = T.failure(await register("a", ["description": "something else"]), code: "invalid_argument")
    #expect(T.message(description).contains("description differs from metadata.description"))
    let format = T.failure(await register("b", ["format": "npy"]), code: "invalid_argument")
    #expect(T.message(format).contains("format npy differs from metadata.source.format csv"))
    let size = T.failure(await register("c", ["size_bytes": 99]), code: "invalid_argument")
    #expect(T.message(size).contains("size_bytes 99 differs from metadata.source.size_bytes 1234"))
    #expect(try fixture.project.store.sources().isEmpty, "a refused source was registered")
    _ = T.ok(await register("d", ["format": "csv", "size_bytes": 1234]))

    let remote = T.ok(
      await T.call(
        fixture, "register_source",
        [
          "name": "remote", "gcs_path": "gs://bucket/data.csv", "description": "data Goldfish cannot measure",
          "reason": .string(goodReason), "size_bytes": 4096,
        ]))
    #expect(remote["source"]?.objectValue?["size_bytes"] == 4096, "\(remote)")
  }

  @Test(
    "manage_sources: status and created_by filter the list; update replaces metadata; lineage of an external source")
  func manageSources() async throws {
    let fixture = try SamplePipeline.project()
    let all = T.ok(await T.call(fixture, "manage_sources", ["action": "list", "status": "available"]))
    #expect(all["total"] == 1)
    #expect(T.ok(await T.call(fixture, "manage_sources", ["action": "list", "created_by": "external"]))["total"] == 1)
    #expect(T.ok(await T.call(fixture, "manage_sources", ["action": "list", "created_by": "job:x"]))["total"] == 0)
    #expect(T.ok(await T.call(fixture, "manage_sources", ["action": "list", "status": "failed"]))["total"] == 0)

    let updated = T.ok(
      await T.call(
        fixture, "manage_sources",
        ["action": "update", "name": "points", "metadata": Self.csvMetadata, "reason": .string(goodReason)]))
    #expect(updated["source"]?.objectValue?["description"] == "two hundred noisy points on a line", "\(updated)")
    var changed = Self.csvMetadata.objectValue ?? [:]
    var source = changed["source"]?.objectValue ?? [:]
    source["format"] = "file"
    source["format_params"] = nil
    changed["source"] = .object(source)
    changed["schema"] = ["kind": "file", "content_type": "text/csv"]
    let refused = T.failure(
      await T.call(
        fixture, "manage_sources",
        ["action": "update", "name": "points", "metadata": .object(changed), "reason": .string(goodReason)]),
      code: "invalid_argument")
    #expect(T.message(refused).contains("source.format cannot change"), "\(refused)")
    let invalid = T.failure(
      await T.call(
        fixture, "manage_sources",
        ["action": "update", "name": "points", "metadata": ["schema_version": 1], "reason": .string(goodReason)]),
      code: "metadata_invalid")
    #expect(!T.message(invalid).isEmpty)
    // A source registered by hand has no parents and was made by no run.
    let lineage = T.ok(await T.call(fixture, "manage_sources", ["action": "lineage", "name": "points"]))
    #expect(lineage["source_name"] == "points" && lineage["parents"] == [] && lineage["job_id"] == .null, "\(lineage)")
    _ = T.failure(await T.call(fixture, "manage_sources", ["action": "lineage", "name": "nope"]), code: "not_found")
  }

  @Test("get_debug_info takes a record id and workspace; log_thought needs 15 characters and keeps its run id")
  func debugInfoAndThoughts() async throws {
    let fixture = try SamplePipeline.project()
    let (_, runs) = try SamplePipeline.run(fixture, ["preprocess"])
    let run = try #require(runs.first)
    let record = try #require(try fixture.project.store.record(ofStageRun: run.id))
    let byRecord = T.ok(await T.call(fixture, "get_debug_info", ["ref": .string(record.id), "workspace": "w1"]))
    #expect(byRecord["stage_run_id"]?.stringValue == run.id && byRecord["record_id"]?.stringValue == record.id)
    _ = try fixture.project.workspaces.create(name: "other", goal: "another workspace", reason: goodReason)
    let wrong = T.failure(
      await T.call(fixture, "get_debug_info", ["ref": .string(run.id), "workspace": "other"]), code: "not_found")
    #expect(T.message(wrong).contains("belongs to workspace line"))

    let short = T.failure(await T.call(fixture, "log_thought", ["thought": "too short"]), code: "invalid_argument")
    #expect(T.message(short).contains("at least 15"), "\(short)")
    _ = T.ok(
      await T.call(
        fixture, "log_thought",
        ["thought": "the preprocessing looks right", "workspace": "w1", "run_id": .string(run.id)]))
    let thoughts = T.ok(await T.call(fixture, "get_workspace_thoughts", ["workspace": "line"]))
    let entry = thoughts["thoughts"]?.arrayValue?.first?.objectValue
    #expect(
      entry?["run_id"]?.stringValue == run.id && entry?["thought"] == "the preprocessing looks right", "\(thoughts)")
  }
}
