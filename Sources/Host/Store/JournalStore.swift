import GRDB
import PluginKit

public struct AuditRecord: Codable, Sendable, Equatable, FetchableRecord {
  public var id: Int64
  public var timestamp: String
  public var operation: String
  public var slot: String?
  public var workspace: String?
  public var reason: String
  public var details: String?
}

public struct ThoughtRecord: Codable, Sendable, Equatable, FetchableRecord {
  public var id: Int64
  public var timestamp: String
  public var workspace: String?
  public var text: String
  /// The run the thought is about, if any.
  public var runID: String? = nil

  enum CodingKeys: String, CodingKey {
    case id, timestamp, workspace, text
    case runID = "run_id"
  }
}

extension ProjectStore {
  /// Records a mutating operation and why it was done.
  public func audit(
    _ operation: String, reason: String, slot: String? = nil, workspace: String? = nil,
    details: JSONValue? = nil
  ) throws(GoldfishError) {
    let detailsText = details.flatMap { try? JSONCoding.encode($0) }
    try write { db in
      try db.execute(
        sql: "INSERT INTO audit (timestamp, operation, slot, workspace, reason, details) VALUES (?, ?, ?, ?, ?, ?)",
        arguments: [Timestamp.now(), operation, slot, workspace, reason, detailsText])
    }
  }

  public func recentAudit(limit: Int, workspace: String? = nil) throws(GoldfishError) -> [AuditRecord] {
    try read { db in
      if let workspace {
        return try AuditRecord.fetchAll(
          db, sql: "SELECT * FROM audit WHERE workspace = ? ORDER BY id DESC LIMIT ?", arguments: [workspace, limit])
      }
      return try AuditRecord.fetchAll(db, sql: "SELECT * FROM audit ORDER BY id DESC LIMIT ?", arguments: [limit])
    }
  }

  public func addThought(_ text: String, workspace: String?, runID: String? = nil) throws(GoldfishError) {
    try write { db in
      try db.execute(
        sql: "INSERT INTO thoughts (timestamp, workspace, text, run_id) VALUES (?, ?, ?, ?)",
        arguments: [Timestamp.now(), workspace, text, runID])
    }
  }

  public func recentThoughts(limit: Int) throws(GoldfishError) -> [ThoughtRecord] {
    try read { db in
      try ThoughtRecord.fetchAll(db, sql: "SELECT * FROM thoughts ORDER BY id DESC LIMIT ?", arguments: [limit])
    }
  }
}

extension ProjectStore {
  /// A page of one workspace's thoughts, newest first, and how many there are.
  public func thoughts(workspace: String, limit: Int, offset: Int) throws(GoldfishError) -> ([ThoughtRecord], Int) {
    try read { db in
      let page = try ThoughtRecord.fetchAll(
        db, sql: "SELECT * FROM thoughts WHERE workspace = ? ORDER BY id DESC LIMIT ? OFFSET ?",
        arguments: [workspace, limit, offset])
      let total =
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM thoughts WHERE workspace = ?", arguments: [workspace]) ?? 0
      return (page, total)
    }
  }
}
