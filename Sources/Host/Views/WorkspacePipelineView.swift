import Foundation
import GRDB
import PluginKit

/// What `inspect_workspace(include: ["pipeline"])` shows: the workspace's pipeline.yaml as
/// stages with their inputs and outputs, read from the slot when the workspace is mounted (what
/// the next run would use), else from its newest version.
extension Project {
  public func pipelineView(workspace: String) throws(GoldfishError) -> JSONValue {
    let parsed: PipelineLoadResult
    let from: String
    if let mount = try store.mount(ofWorkspace: workspace) {
      parsed = PipelineLoader.parse(workspaceDirectory: paths.slot(mount.slot))
      from = mount.slot
    } else if let latest = try store.versions(of: workspace).last {
      guard let data = try repository.readFile(at: "pipeline.yaml", in: try CommitID.stored(latest.sha)) else {
        return ["source": .string(latest.label), "file": "pipeline.yaml", "found": false]
      }
      parsed = PipelineLoader.parse(yaml: String(decoding: data, as: UTF8.self))
      from = latest.label
    } else {
      return .null
    }
    let signal = { (definition: SignalDefinition) -> JSONValue in
      [
        "name": .string(definition.name), "type": .string(definition.type.rawValue),
        "from_stage": definition.fromStage.map { .string($0) } ?? .null,
        "signal": definition.signal.map { .string($0) } ?? .null,
        "dataset": definition.dataset.map { .string($0) } ?? .null,
      ]
    }
    let stages: [JSONValue] = (parsed.definition?.stages ?? []).map { stage in
      [
        "name": .string(stage.name), "inputs": .array(stage.inputs.map(signal)),
        "outputs": .array(stage.outputs.map(signal)),
      ]
    }
    return [
      "source": .string(from), "file": "pipeline.yaml", "found": .bool(parsed.definition != nil),
      "name": parsed.definition.map { .string($0.name) } ?? .null,
      "description": parsed.definition.map { .string($0.description) } ?? .null,
      "stages": .array(stages),
      "errors": .array(parsed.issues.errors.map { .string($0.message) }),
    ]
  }

  /// Workspaces created from this one (upstream's `lineage.branches`).
  public func branches(of workspace: String) throws(GoldfishError) -> [JSONValue] {
    try store.workspaces().filter { $0.parentWorkspace == workspace }.map { child in
      [
        "workspace": .string(child.name), "branched_from": .string(workspace),
        "branched_from_version": child.parentVersion.map { .string("v\($0)") } ?? .null,
        "branched_at": .string(child.createdAt), "description": .string(String(child.goal.prefix(200))),
      ]
    }
  }

  /// Tags of a workspace's runs and versions (one namespace), oldest first.
  public func tags(of workspace: String) throws(GoldfishError) -> [RecordTag] {
    try store.read { db in
      try RecordTag.fetchAll(
        db, sql: "SELECT * FROM record_tags WHERE workspace = ? ORDER BY created_at, rowid", arguments: [workspace])
    }
  }
}
