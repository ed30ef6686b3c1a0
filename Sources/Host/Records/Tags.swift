import GRDB
import PluginKit

/// What `tag_record` answers.
public struct TagOutcome: Codable, Sendable, Equatable {
  public var recordID: String?
  public var tag: String
  public var workspaceName: String
  public var recordType: String
  public var version: String?

  enum CodingKeys: String, CodingKey {
    case recordID = "record_id", tag, workspaceName = "workspace_name", recordType = "record_type", version
  }
}

/// Tag names: what fits in a reference (`@best-1`), a file name and a message.
public enum TagName {
  public static let rule =
    "1 to 64 characters: letters, digits, '-', '_' and '.', starting with a letter or a digit (e.g. best-1)"

  public static func validate(_ name: String) throws(GoldfishError) -> String {
    let scalars = Array(name.unicodeScalars)
    let fits =
      (1...64).contains(scalars.count)
      && scalars.allSatisfy {
        $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0))
      }
      && scalars.first.map { $0.properties.isAlphabetic || ("0"..."9").contains($0) } == true
    guard fits else {
      throw GoldfishError(
        .invalidName, "\(RunIdentifiers.display(name)) is not a valid tag name", hint: "a tag name is \(rule)",
        detail: ["tag": .string(RunIdentifiers.display(name))])
    }
    return name
  }
}

extension RecordBook {
  /// Tags a record. A run's tag names the run and its version; a checkpoint's names the
  /// checkpoint and its version. Tags are unique per workspace across run and version tags.
  public func tag(_ ref: String, _ tag: String, workspace: String? = nil) throws(GoldfishError) -> TagOutcome {
    let tag = try TagName.validate(tag.hasPrefix("@") ? String(tag.dropFirst()) : tag)
    let record = try RecordRef.resolve(ref, workspace: workspace, in: store)
    try store.write { db in
      try Self.insertTag(
        db,
        RecordTag(
          workspace: record.workspace, tag: tag, recordID: record.id, version: record.version,
          createdAt: Timestamp.now()))
    }
    return TagOutcome(
      recordID: record.id, tag: tag, workspaceName: record.workspace, recordType: record.kind.rawValue,
      version: record.version.map { "v\($0)" })
  }

  /// Removes a tag of a workspace, whatever it names (run, checkpoint or version).
  @discardableResult
  public func untag(workspace: String, _ tag: String) throws(GoldfishError) -> RecordTag {
    let tag = tag.hasPrefix("@") ? String(tag.dropFirst()) : tag
    return try store.write { db in
      guard let existing = try RecordTag.fetchOne(db, key: ["workspace": workspace, "tag": tag]) else {
        throw GoldfishError(
          .notFound, "workspace \(RunIdentifiers.display(workspace)) has no tag \(RunIdentifiers.display(tag))",
          hint: "list_history(tagged=true) shows its tagged records")
      }
      try existing.delete(db)
      return existing
    }
  }

  /// Inserts a tag, or says what already holds the name.
  static func insertTag(_ db: Database, _ tag: RecordTag) throws {
    if let holder = try RecordTag.fetchOne(db, key: ["workspace": tag.workspace, "tag": tag.tag]) {
      let what: String
      if let id = holder.recordID, let record = try ExperimentRecord.fetchOne(db, key: id) {
        what =
          record.kind == .run
          ? "run \(record.stageRunID ?? "") (record \(id))" : "checkpoint v\(record.version ?? 0) (record \(id))"
      } else {
        what = "version v\(holder.version ?? 0)"
      }
      throw GoldfishError(
        .alreadyExists, "tag \(tag.tag) already names \(what) in workspace \(tag.workspace)",
        hint: "tags are unique per workspace across runs and versions: pick another name, or untag it first",
        detail: [
          "tag": .string(tag.tag), "record_id": holder.recordID.map(JSONValue.string) ?? .null,
          "version": holder.version.map { .string("v\($0)") } ?? .null,
        ])
    }
    try tag.insert(db)
  }

  /// The tags of records, by record id: a record's own tags, and for a checkpoint the tags of
  /// its version too.
  static func tags(_ db: Database, of records: [ExperimentRecord]) throws -> [String: [String]] {
    guard let workspace = records.first?.workspace else { return [:] }
    let ids = records.map(\.id)
    let versions = records.filter { $0.kind == .checkpoint }.compactMap(\.version)
    let idMarks = ids.map { _ in "?" }.joined(separator: ", ")
    let versionMarks = versions.isEmpty ? "NULL" : versions.map { _ in "?" }.joined(separator: ", ")
    let rows = try RecordTag.fetchAll(
      db,
      sql: """
        SELECT * FROM record_tags WHERE workspace = ?
          AND (record_id IN (\(idMarks)) OR (record_id IS NULL AND version IN (\(versionMarks))))
        ORDER BY created_at, rowid
        """,
      arguments: StatementArguments(
        [workspace.databaseValue] + ids.map(\.databaseValue) + versions.map(\.databaseValue)))
    var tags: [String: [String]] = [:]
    for row in rows {
      if let id = row.recordID {
        tags[id, default: []].append(row.tag)
      } else if let version = row.version {
        for record in records where record.kind == .checkpoint && record.version == version {
          tags[record.id, default: []].append(row.tag)
        }
      }
    }
    return tags
  }
}
