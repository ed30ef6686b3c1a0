import GRDB

public struct WorkspaceRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
  public static let databaseTableName = "workspaces"

  public var name: String
  public var goal: String
  public var branch: String
  public var parentWorkspace: String?
  public var parentVersion: Int?
  public var createdAt: String
  public var status: String
  public var deletedAt: String?
  public var deleteReason: String?

  enum CodingKeys: String, CodingKey, ColumnExpression {
    case name, goal, branch
    case parentWorkspace = "parent_workspace"
    case parentVersion = "parent_version"
    case createdAt = "created_at"
    case status
    case deletedAt = "deleted_at"
    case deleteReason = "delete_reason"
  }

  public init(name: String, goal: String, branch: String, parentWorkspace: String?, parentVersion: Int?) {
    self.name = name
    self.goal = goal
    self.branch = branch
    self.parentWorkspace = parentWorkspace
    self.parentVersion = parentVersion
    self.createdAt = Timestamp.now()
    self.status = "active"
  }
}

public struct VersionRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
  public static let databaseTableName = "workspace_versions"

  public var workspace: String
  public var version: Int
  public var tag: String
  public var sha: String
  public var createdAt: String
  public var createdBy: String
  public var message: String
  public var runID: String?

  enum CodingKeys: String, CodingKey, ColumnExpression {
    case workspace, version, tag, sha
    case createdAt = "created_at"
    case createdBy = "created_by"
    case message
    case runID = "run_id"
  }

  public var label: String { "v\(version)" }
}

public struct MountRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
  public static let databaseTableName = "workspace_mounts"

  public var slot: String
  public var workspace: String
  public var mountedSHA: String
  public var mountedAt: String

  enum CodingKeys: String, CodingKey, ColumnExpression {
    case slot, workspace
    case mountedSHA = "mounted_sha"
    case mountedAt = "mounted_at"
  }
}
