import GRDB
import PluginKit

/// One version as manage_versions lists it: the version view plus its pruning and tags.
public struct VersionListingEntry: Encodable, Sendable {
  public var version: VersionRecord
  public var prunedAt: String?
  public var pruneReason: String?
  public var tags: [String]

  enum Keys: String, CodingKey {
    case prunedAt = "pruned_at", pruneReason = "prune_reason", tags
  }

  public func encode(to encoder: any Encoder) throws {
    try VersionView(version).encode(to: encoder)
    var fields = encoder.container(keyedBy: Keys.self)
    try fields.encode(prunedAt, forKey: .prunedAt)
    try fields.encode(pruneReason, forKey: .pruneReason)
    try fields.encode(tags, forKey: .tags)
  }
}

public struct VersionListing: Encodable, Sendable {
  public var workspace: String
  public var versions: [VersionListingEntry]
  public var total: Int
  public var limit: Int
  public var offset: Int
}

/// Which versions a prune or unprune is about: one, or an inclusive range.
public enum VersionSelection: Sendable, Equatable {
  case one(Int)
  case range(Int, Int)

  /// From manage_versions' `version` or `from_version` + `to_version` ("v3" or 3).
  public static func parse(version: String?, from: String?, to: String?, action: String) throws(GoldfishError) -> Self {
    switch (version, from, to) {
    case (let version?, nil, nil): return .one(try VersionLabel.parse(version, allowBareNumber: true))
    case (nil, let from?, let to?):
      let (low, high) = (
        try VersionLabel.parse(from, allowBareNumber: true), try VersionLabel.parse(to, allowBareNumber: true)
      )
      guard low <= high else {
        throw GoldfishError(
          .invalidArgument, "from_version v\(low) comes after to_version v\(high)",
          hint: "give the older version as from_version")
      }
      return .range(low, high)
    default:
      throw GoldfishError(
        .invalidArgument, "\(action) needs either version, or both from_version and to_version (and not both forms)",
        hint: "e.g. version=\"v3\", or from_version=\"v2\" to_version=\"v5\"")
    }
  }

  var isSingle: Bool {
    if case .one = self { return true }
    return false
  }

  var bounds: (Int, Int) {
    switch self {
    case .one(let version): (version, version)
    case .range(let low, let high): (low, high)
    }
  }
}

/// What a prune, unprune or prune_before_tag did.
public struct PruneOutcome: Codable, Sendable, Equatable {
  public struct Kept: Codable, Sendable, Equatable {
    public var version: String
    public var why: String
  }

  /// Versions whose state changed.
  public var changed: [String]
  /// Versions already in the asked state.
  public var unchanged: [String]
  /// Versions a range left alone, and why (tagged, or the workspace's newest).
  public var kept: [Kept]
  public var reason: String?
}

extension RecordBook {
  /// Versions newest first, pruned ones only when asked.
  public func versions(
    workspace: String, includePruned: Bool = false, limit: Int = 50, offset: Int = 0
  )
    throws(GoldfishError) -> VersionListing
  {
    try requireWorkspace(workspace)
    return try store.read { db in
      let pruned = includePruned ? "" : " AND pruned_at IS NULL"
      let rows = try Row.fetchAll(
        db,
        sql: """
          SELECT * FROM workspace_versions WHERE workspace = ?\(pruned) ORDER BY version DESC LIMIT ? OFFSET ?
          """,
        arguments: [workspace, limit, offset])
      let total =
        try Int.fetchOne(
          db, sql: "SELECT COUNT(*) FROM workspace_versions WHERE workspace = ?\(pruned)", arguments: [workspace]) ?? 0
      let tags = try Self.versionTags(db, workspace: workspace)
      let entries = try rows.map { row in
        let version = try VersionRecord(row: row)
        return VersionListingEntry(
          version: version, prunedAt: row["pruned_at"], pruneReason: row["prune_reason"],
          tags: tags[version.version] ?? [])
      }
      return VersionListing(workspace: workspace, versions: entries, total: total, limit: limit, offset: offset)
    }
  }

  /// Tags a version (a version tag: no record), in the one tag namespace of the workspace.
  public func tagVersion(workspace: String, version: Int, tag: String) throws(GoldfishError) -> TagOutcome {
    let tag = try TagName.validate(tag)
    try requireWorkspace(workspace)
    try store.write { db in
      guard try VersionRecord.fetchOne(db, key: ["workspace": workspace, "version": version]) != nil else {
        throw Self.noVersion(workspace, version)
      }
      try Self.insertTag(
        db, RecordTag(workspace: workspace, tag: tag, recordID: nil, version: version, createdAt: Timestamp.now()))
    }
    return TagOutcome(recordID: nil, tag: tag, workspaceName: workspace, recordType: "version", version: "v\(version)")
  }

  /// Marks versions pruned: hidden from listings unless asked, kept in git and the database.
  /// A single version that is tagged or is the workspace's newest is refused (untag it first;
  /// the newest is what the workspace continues from); a range prunes the others and says
  /// which it kept and why.
  public func prune(
    workspace: String, _ selection: VersionSelection, reason: String?
  ) throws(GoldfishError)
    -> PruneOutcome
  {
    let reason = try pruneReason(reason)
    try requireWorkspace(workspace)
    let outcome = try store.write { db in
      let (low, high) = selection.bounds
      let candidates = try Self.versionRows(db, workspace: workspace, low: low, high: high)
      guard !candidates.isEmpty else { throw Self.noVersion(workspace, low, high) }
      return try Self.prune(
        db, workspace: workspace, candidates, reason: reason, single: selection.isSingle)
    }
    journal("prune_versions", outcome, reason: reason, workspace: workspace)
    return outcome
  }

  /// Prunes every version older than the one `tag` names (tagged ones and the newest are kept).
  public func pruneBeforeTag(workspace: String, tag: String, reason: String?) throws(GoldfishError) -> PruneOutcome {
    let reason = try pruneReason(reason)
    try requireWorkspace(workspace)
    let tag = tag.hasPrefix("@") ? String(tag.dropFirst()) : tag
    let outcome = try store.write { db in
      guard let row = try RecordTag.fetchOne(db, key: ["workspace": workspace, "tag": tag]), let version = row.version
      else {
        throw GoldfishError(
          .notFound, "workspace \(RunIdentifiers.display(workspace)) has no version tag \(RunIdentifiers.display(tag))",
          hint: "manage_versions(action=\"list\") shows versions with their tags")
      }
      let candidates = try Self.versionRows(db, workspace: workspace, low: 1, high: version - 1)
      return try Self.prune(db, workspace: workspace, candidates, reason: reason, single: false)
    }
    journal("prune_before_tag", outcome, reason: reason, workspace: workspace)
    return outcome
  }

  /// Brings pruned versions back.
  public func unprune(workspace: String, _ selection: VersionSelection) throws(GoldfishError) -> PruneOutcome {
    try requireWorkspace(workspace)
    let outcome = try store.write { db in
      let (low, high) = selection.bounds
      let candidates = try Self.versionRows(db, workspace: workspace, low: low, high: high)
      guard !candidates.isEmpty else { throw Self.noVersion(workspace, low, high) }
      var outcome = PruneOutcome(changed: [], unchanged: [], kept: [], reason: nil)
      for (version, prunedAt) in candidates {
        if prunedAt == nil {
          outcome.unchanged.append("v\(version)")
          continue
        }
        try db.execute(
          sql:
            "UPDATE workspace_versions SET pruned_at = NULL, prune_reason = NULL WHERE workspace = ? AND version = ?",
          arguments: [workspace, version])
        outcome.changed.append("v\(version)")
      }
      return outcome
    }
    journal("unprune_versions", outcome, reason: "unpruned versions of \(workspace)", workspace: workspace)
    return outcome
  }

  /// Pruning is journaled like other workspace changes; the change is stored either way.
  private func journal(_ operation: String, _ outcome: PruneOutcome, reason: String, workspace: String) {
    guard !outcome.changed.isEmpty else { return }
    try? project.journal.record(
      operation, reason: reason, workspace: workspace,
      details: ["versions": .array(outcome.changed.map(JSONValue.string))])
  }

  private func pruneReason(_ reason: String?) throws(GoldfishError) -> String {
    guard let reason else {
      throw GoldfishError(
        .invalidArgument, "pruning needs a reason (at least \(minimumText) characters)",
        hint: "say why these versions no longer matter, e.g. reason=\"superseded by the v7 architecture\"")
    }
    return try Reason.validate(reason, minimum: minimumText)
  }

  private static func prune(
    _ db: Database, workspace: String, _ candidates: [(Int, String?)], reason: String, single: Bool
  ) throws -> PruneOutcome {
    let tags = try versionTags(db, workspace: workspace)
    let newest = try Int.fetchOne(
      db, sql: "SELECT MAX(version) FROM workspace_versions WHERE workspace = ?", arguments: [workspace])
    var outcome = PruneOutcome(changed: [], unchanged: [], kept: [], reason: reason)
    let now = Timestamp.now()
    for (version, prunedAt) in candidates {
      var reasons: [String] = []
      if let names = tags[version] { reasons.append("tagged \(names.joined(separator: ", ")) (untag it first)") }
      if version == newest {
        reasons.append(
          "the newest version of \(RunIdentifiers.display(workspace)), which its next version continues from")
      }
      if !reasons.isEmpty {
        let why = reasons.joined(separator: " and ")
        if single {
          throw GoldfishError(
            .invalidArgument, "v\(version) of \(workspace) is not pruned: it is \(why)",
            detail: ["version": .string("v\(version)")])
        }
        outcome.kept.append(.init(version: "v\(version)", why: why))
        continue
      }
      if prunedAt != nil {
        outcome.unchanged.append("v\(version)")
        continue
      }
      try db.execute(
        sql: "UPDATE workspace_versions SET pruned_at = ?, prune_reason = ? WHERE workspace = ? AND version = ?",
        arguments: [now, reason, workspace, version])
      outcome.changed.append("v\(version)")
    }
    return outcome
  }

  private static func versionRows(_ db: Database, workspace: String, low: Int, high: Int) throws -> [(Int, String?)] {
    guard low <= high else { return [] }
    return try Row.fetchAll(
      db,
      sql: """
        SELECT version, pruned_at FROM workspace_versions WHERE workspace = ? AND version BETWEEN ? AND ?
        ORDER BY version
        """,
      arguments: [workspace, low, high]
    ).map { ($0["version"], $0["pruned_at"]) }
  }

  static func versionTags(_ db: Database, workspace: String) throws -> [Int: [String]] {
    var tags: [Int: [String]] = [:]
    for row in try RecordTag.fetchAll(
      db, sql: "SELECT * FROM record_tags WHERE workspace = ? AND version IS NOT NULL ORDER BY created_at, rowid",
      arguments: [workspace])
    {
      if let version = row.version { tags[version, default: []].append(row.tag) }
    }
    return tags
  }

  static func noVersion(_ workspace: String, _ low: Int, _ high: Int? = nil) -> GoldfishError {
    let what = high.map { $0 == low ? "v\(low)" : "versions v\(low)…v\($0)" } ?? "v\(low)"
    return GoldfishError(
      .notFound, "workspace \(RunIdentifiers.display(workspace)) has no \(what)",
      hint: "manage_versions(action=\"list\") shows its versions")
  }
}
