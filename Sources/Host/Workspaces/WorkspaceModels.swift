/// One line of `workspace list`.
public struct WorkspaceSummary: Codable, Sendable, Equatable {
  public var name: String
  public var goal: String
  public var slot: String?
  public var versions: Int
  public var latestVersion: String?
  public var parent: String?
  public var createdAt: String

  enum CodingKeys: String, CodingKey {
    case name, goal, slot, versions
    case latestVersion = "latest_version"
    case parent
    case createdAt = "created_at"
  }
}

/// A slot as `status` shows it.
public struct SlotSummary: Codable, Sendable, Equatable {
  public var slot: String
  public var workspace: String?
  public var version: String?
  public var dirty: Bool?
  public var changedFiles: Int?

  enum CodingKeys: String, CodingKey {
    case slot, workspace, version, dirty
    case changedFiles = "changed_files"
  }
}

/// The result of a checkpoint: the version, and whether it is new.
public struct CheckpointResult: Codable, Sendable, Equatable {
  public var workspace: String
  public var version: String
  public var created: Bool
  public var changes: [FileChange]
}

public struct WorkspaceDiff: Codable, Sendable, Equatable {
  public var from: String
  public var to: String
  public var changes: [FileChange]
  public var patch: String
}
