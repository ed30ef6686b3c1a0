import GRDB
import PluginKit

/// The three ways a person or an agent names a record: its ULID, `@tag` (tags are per
/// workspace, so the workspace is needed too) or the `stage-…` id of the run it records.
public enum RecordRef {
  public static let forms = "a record id (26-character ULID), @tag with a workspace, or a stage run id (stage-…)"

  /// The record `ref` names, or a `not_found` / `invalid_argument` error saying which form was
  /// understood and where to look.
  public static func resolve(
    _ ref: String, workspace: String?, in store: ProjectStore
  ) throws(GoldfishError)
    -> ExperimentRecord
  {
    let text = ref.trimmingCharacters(in: .whitespaces)
    if text.hasPrefix("@") {
      let tag = String(text.dropFirst())
      guard let workspace, !workspace.isEmpty else {
        throw GoldfishError(
          .invalidArgument, "\(RunIdentifiers.display(text)) is a tag, and tags belong to a workspace",
          hint: "give the workspace too (tags are unique per workspace, not across the project)")
      }
      return try store.read { db in try record(taggedAs: tag, workspace: workspace, db) }
    }
    if text.hasPrefix("stage-") {
      guard let record = try store.record(ofStageRun: text) else {
        throw GoldfishError(
          .notFound, "no run \(RunIdentifiers.display(text))",
          hint: "list_history or `goldfish records list <workspace>` shows a workspace's runs")
      }
      return record
    }
    if ULID.isValid(text.uppercased()) {
      guard let record = try store.record(text.uppercased()) else {
        throw GoldfishError(
          .notFound, "no record \(text)",
          hint: "list_history or `goldfish records list <workspace>` shows a workspace's records")
      }
      return record
    }
    throw GoldfishError(
      .invalidArgument, "\(RunIdentifiers.display(text)) is not a record reference", hint: "give \(forms)",
      detail: ["ref": .string(RunIdentifiers.display(text))])
  }

  /// The record a tag names: the tagged record, or for a version tag the checkpoint record of
  /// that version.
  static func record(taggedAs tag: String, workspace: String, _ db: Database) throws -> ExperimentRecord {
    guard let row = try RecordTag.fetchOne(db, key: ["workspace": workspace, "tag": tag]) else {
      let known = try String.fetchAll(
        db, sql: "SELECT tag FROM record_tags WHERE workspace = ? ORDER BY created_at DESC LIMIT 10",
        arguments: [workspace])
      throw GoldfishError(
        .notFound, "workspace \(RunIdentifiers.display(workspace)) has no tag \(RunIdentifiers.display(tag))",
        hint: known.isEmpty
          ? "tag a record first: tag_record(ref, tag)" : "its tags: \(known.joined(separator: ", "))",
        detail: ["tags": .array(known.map(JSONValue.string))])
    }
    if let id = row.recordID, let record = try ExperimentRecord.fetchOne(db, key: id) { return record }
    if let version = row.version,
      let record = try ExperimentRecord.filter(
        ExperimentRecord.CodingKeys.workspace == workspace && ExperimentRecord.CodingKeys.version == version
          && ExperimentRecord.CodingKeys.kind == ExperimentRecord.Kind.checkpoint.rawValue
      ).fetchOne(db)
    {
      return record
    }
    throw GoldfishError(
      .notFound,
      "tag \(tag) names version v\(row.version ?? 0) of \(workspace), which a run made: it has no record of its own",
      hint: "inspect the runs of that version with list_history, or manage_versions(action=\"list\")")
  }
}
