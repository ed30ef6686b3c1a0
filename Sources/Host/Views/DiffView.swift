/// Two states of a workspace compared, as `goldfish workspace diff --json` and MCP `diff`
/// answer it, with the MCP field names; the patch is cut at `patchLimit` characters in both.
public struct DiffView: Encodable, Sendable {
  public static let patchLimit = 20_000

  public var diff: WorkspaceDiff

  public init(_ diff: WorkspaceDiff) {
    self.diff = diff
  }

  /// "w1 → line@v3: 2 files changed": the one line both faces print first.
  public var summary: String { "\(diff.from) → \(diff.to): \(diff.changes.count) files changed" }

  enum Keys: String, CodingKey {
    case hasChanges = "has_changes", summary, filesChanged = "files_changed", diffText = "diff_text", left, right
    case truncated
  }

  public func encode(to encoder: any Encoder) throws {
    var fields = encoder.container(keyedBy: Keys.self)
    try fields.encode(!diff.changes.isEmpty, forKey: .hasChanges)
    try fields.encode(summary, forKey: .summary)
    try fields.encode(diff.changes, forKey: .filesChanged)
    try fields.encode(ViewText.truncated(diff.patch, limit: Self.patchLimit), forKey: .diffText)
    try fields.encode(diff.from, forKey: .left)
    try fields.encode(diff.to, forKey: .right)
    try fields.encode(diff.patch.count > Self.patchLimit, forKey: .truncated)
  }
}
