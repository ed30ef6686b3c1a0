import Foundation

/// A version of a workspace, as `goldfish workspace history --json` and MCP `manage_versions`
/// and `inspect_workspace` show it.
public struct VersionView: Encodable, Sendable {
  public var version: VersionRecord

  public init(_ version: VersionRecord) {
    self.version = version
  }

  enum Keys: String, CodingKey {
    case version, gitTag = "git_tag", gitSHA = "git_sha", createdBy = "created_by", createdAt = "created_at"
    case message, runID = "run_id"
  }

  public func encode(to encoder: any Encoder) throws {
    var fields = encoder.container(keyedBy: Keys.self)
    try fields.encode(version.label, forKey: .version)
    try fields.encode(version.tag, forKey: .gitTag)
    try fields.encode(version.sha, forKey: .gitSHA)
    try fields.encode(version.createdBy, forKey: .createdBy)
    try fields.encode(version.createdAt, forKey: .createdAt)
    try fields.encode(version.message, forKey: .message)
    try fields.encode(version.runID, forKey: .runID)
  }
}
