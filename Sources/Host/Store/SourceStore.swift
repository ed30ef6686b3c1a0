import GRDB

public struct SourceRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
  public static let databaseTableName = "sources"

  public var name: String
  public var uri: String
  public var description: String
  public var createdAt: String
  public var createdBy: String
  public var sizeBytes: Int64?
  public var metadata: String?
  public var status: String
  public var deletedAt: String?
  public var deleteReason: String?
  /// The run whose output this source is (an `artifact: true` output or `promote_artifact`).
  public var stageRunID: String?
  /// That run's output name.
  public var outputName: String?

  enum CodingKeys: String, CodingKey, ColumnExpression {
    case name, uri, description
    case createdAt = "created_at"
    case createdBy = "created_by"
    case sizeBytes = "size_bytes"
    case metadata, status
    case deletedAt = "deleted_at"
    case deleteReason = "delete_reason"
    case stageRunID = "stage_run_id"
    case outputName = "output_name"
  }

  public init(
    name: String, uri: String, description: String, createdBy: String, sizeBytes: Int64?, metadata: String?,
    stageRunID: String? = nil, outputName: String? = nil
  ) {
    self.name = name
    self.stageRunID = stageRunID
    self.outputName = outputName
    self.uri = uri
    self.description = description
    self.createdAt = Timestamp.now()
    self.createdBy = createdBy
    self.sizeBytes = sizeBytes
    self.metadata = metadata
    self.status = "active"
  }
}

extension ProjectStore {
  /// Inserts a source and its lineage in one transaction: a source made from a run never exists
  /// without the record of what it was made from.
  public func insertSource(_ record: SourceRecord, lineage: [SourceLineageRecord] = []) throws(GoldfishError) {
    try write { db in
      if let existing = try SourceRecord.fetchOne(db, key: record.name), existing.status == "active" {
        throw GoldfishError(.alreadyExists, "source \(record.name) is already registered", hint: "pick another name")
      }
      // A deleted source's name may be reused; its old parents do not belong to the new data.
      try db.execute(sql: "DELETE FROM source_lineage WHERE source_name = ?", arguments: [record.name])
      try record.save(db)
      for row in lineage { try row.insert(db) }
    }
  }

  public func source(_ name: String) throws(GoldfishError) -> SourceRecord? {
    try read { db in
      try SourceRecord.filter(SourceRecord.CodingKeys.name == name && SourceRecord.CodingKeys.status == "active")
        .fetchOne(db)
    }
  }

  public func sources() throws(GoldfishError) -> [SourceRecord] {
    try read { db in
      try SourceRecord.filter(SourceRecord.CodingKeys.status == "active").order(SourceRecord.CodingKeys.name).fetchAll(
        db)
    }
  }

  /// Rewrites an active source's description and metadata.
  public func updateSource(_ record: SourceRecord) throws(GoldfishError) {
    try write { db in
      try db.execute(
        sql: "UPDATE sources SET description = ?, metadata = ? WHERE name = ? AND status = 'active'",
        arguments: [record.description, record.metadata, record.name])
      guard db.changesCount == 1 else {
        throw GoldfishError(
          .notFound, "no registered source \(record.name)", hint: "list them with goldfish source list")
      }
    }
  }

  public func markSourceDeleted(_ name: String, reason: String) throws(GoldfishError) {
    try write { db in
      try db.execute(
        sql:
          "UPDATE sources SET status = 'deleted', deleted_at = ?, delete_reason = ? WHERE name = ? AND status = 'active'",
        arguments: [Timestamp.now(), reason, name])
      guard db.changesCount == 1 else {
        throw GoldfishError(.notFound, "no registered source \(name)", hint: "list them with goldfish source list")
      }
    }
  }
}

/// One parent of a source made from a run: a source the run read (`parentSource`) or a run whose
/// output it read (`parentStageRunID`), through the run's input `signal`.
public struct SourceLineageRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
  public static let databaseTableName = "source_lineage"

  public var sourceName: String
  public var parentSource: String?
  public var parentStageRunID: String?
  public var signal: String
  public var createdAt: String

  enum CodingKeys: String, CodingKey, ColumnExpression {
    case sourceName = "source_name"
    case parentSource = "parent_source"
    case parentStageRunID = "parent_stage_run_id"
    case signal
    case createdAt = "created_at"
  }

  public init(sourceName: String, parentSource: String?, parentStageRunID: String?, signal: String) {
    self.sourceName = sourceName
    self.parentSource = parentSource
    self.parentStageRunID = parentStageRunID
    self.signal = signal
    self.createdAt = Timestamp.now()
  }
}

extension ProjectStore {
  public func sourceLineage(of name: String) throws(GoldfishError) -> [SourceLineageRecord] {
    try read { db in
      try SourceLineageRecord.filter(SourceLineageRecord.CodingKeys.sourceName == name)
        .order(SourceLineageRecord.CodingKeys.signal).fetchAll(db)
    }
  }

  /// Sources made from a run's outputs: the active ones, or every one still on record.
  public func sources(madeBy stageRunID: String, includingDeleted: Bool = false) throws(GoldfishError) -> [SourceRecord]
  {
    try read { db in
      var request = SourceRecord.filter(SourceRecord.CodingKeys.stageRunID == stageRunID)
      if !includingDeleted { request = request.filter(SourceRecord.CodingKeys.status == "active") }
      return try request.order(SourceRecord.CodingKeys.name).fetchAll(db)
    }
  }

  /// A source with this name, active or deleted: lineage keeps naming sources after deletion.
  public func sourceIncludingDeleted(_ name: String) throws(GoldfishError) -> SourceRecord? {
    try read { db in try SourceRecord.fetchOne(db, key: name) }
  }

  /// Input signals of runs that read a source.
  public func consumers(ofSource name: String) throws(GoldfishError) -> [SignalRecord] {
    try read { db in
      try SignalRecord.filter(
        SignalRecord.CodingKeys.sourceName == name && SignalRecord.CodingKeys.direction == "input"
      ).order(SignalRecord.CodingKeys.stageRunID).fetchAll(db)
    }
  }
}
