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

  enum CodingKeys: String, CodingKey, ColumnExpression {
    case name, uri, description
    case createdAt = "created_at"
    case createdBy = "created_by"
    case sizeBytes = "size_bytes"
    case metadata, status
    case deletedAt = "deleted_at"
    case deleteReason = "delete_reason"
  }

  public init(name: String, uri: String, description: String, createdBy: String, sizeBytes: Int64?, metadata: String?) {
    self.name = name
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
  public func insertSource(_ record: SourceRecord) throws(GoldfishError) {
    try write { db in
      if let existing = try SourceRecord.fetchOne(db, key: record.name), existing.status == "active" {
        throw GoldfishError(.alreadyExists, "source \(record.name) is already registered", hint: "pick another name")
      }
      try record.save(db)
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
