import Foundation
import GRDB

/// One row of `image_builds`: a build started by `manage_base_images build` / `goldfish images build`.
public struct ImageBuildRecord: Codable, Sendable, Equatable, FetchableRecord {
  public enum Status: String, Codable, Sendable, CaseIterable {
    case pending, building, completed, failed, cancelled

    public var isFinished: Bool { self == .completed || self == .failed || self == .cancelled }
  }

  public var id: String
  public var imageType: String
  public var target: String
  public var status: Status
  public var imageTag: String?
  public var recipeHash: String?
  public var startedAt: String
  public var completedAt: String?
  public var error: String?
  public var logPath: String?

  enum CodingKeys: String, CodingKey {
    case id, target, status, error
    case imageType = "image_type"
    case imageTag = "image_tag"
    case recipeHash = "recipe_hash"
    case startedAt = "started_at"
    case completedAt = "completed_at"
    case logPath = "log_path"
  }
}

extension ProjectStore {
  func insertImageBuild(_ record: ImageBuildRecord) throws(GoldfishError) {
    try write { db in
      try db.execute(
        sql: """
          INSERT INTO image_builds (id, image_type, target, status, image_tag, recipe_hash, started_at, log_path)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?)
          """,
        arguments: [
          record.id, record.imageType, record.target, record.status.rawValue, record.imageTag, record.recipeHash,
          record.startedAt, record.logPath,
        ])
    }
  }

  /// Moves a build on; a finished build gets its end time.
  func setImageBuildStatus(
    _ id: String, _ status: ImageBuildRecord.Status, error: String? = nil
  )
    throws(GoldfishError)
  {
    try write { db in
      try db.execute(
        sql: "UPDATE image_builds SET status = ?, error = COALESCE(?, error), completed_at = ? WHERE id = ?",
        arguments: [status.rawValue, error, status.isFinished ? Timestamp.now() : nil, id])
    }
  }

  public func imageBuild(_ id: String) throws(GoldfishError) -> ImageBuildRecord? {
    try read { db in try ImageBuildRecord.fetchOne(db, sql: "SELECT * FROM image_builds WHERE id = ?", arguments: [id])
    }
  }

  public func imageBuilds(limit: Int) throws(GoldfishError) -> [ImageBuildRecord] {
    try read { db in
      try ImageBuildRecord.fetchAll(
        db, sql: "SELECT * FROM image_builds ORDER BY started_at DESC, id DESC LIMIT ?", arguments: [limit])
    }
  }

  /// The newest build that made `tag`.
  public func lastImageBuild(tag: String) throws(GoldfishError) -> ImageBuildRecord? {
    try read { db in
      try ImageBuildRecord.fetchOne(
        db, sql: "SELECT * FROM image_builds WHERE image_tag = ? ORDER BY started_at DESC LIMIT 1", arguments: [tag])
    }
  }
}
