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

  /// Absent values are written as null, so every key is always there for machines.
  public func encode(to encoder: Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(name, forKey: .name)
    try c.encode(goal, forKey: .goal)
    try c.encode(slot, forKey: .slot)
    try c.encode(versions, forKey: .versions)
    try c.encode(latestVersion, forKey: .latestVersion)
    try c.encode(parent, forKey: .parent)
    try c.encode(createdAt, forKey: .createdAt)
  }
}

/// A slot as `status` shows it.
public struct SlotSummary: Codable, Sendable, Equatable {
  public var slot: String
  public var workspace: String?
  public var version: String?
  public var dirty: Bool?
  public var changedFiles: Int?
  /// Why the slot cannot be saved as it is (too deep, a link, a non-portable link, …); then
  /// `dirty` and `changedFiles` are unknown (nil).
  public var problem: String?

  enum CodingKeys: String, CodingKey {
    case slot, workspace, version, dirty
    case changedFiles = "changed_files"
    case problem
  }

  /// Absent values are written as null, so every key is always there for machines.
  public func encode(to encoder: Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(slot, forKey: .slot)
    try c.encode(workspace, forKey: .workspace)
    try c.encode(version, forKey: .version)
    try c.encode(dirty, forKey: .dirty)
    try c.encode(changedFiles, forKey: .changedFiles)
    try c.encode(problem, forKey: .problem)
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
