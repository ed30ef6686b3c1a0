/// A slot saved as a version, as `goldfish workspace checkpoint --json` and MCP `save_version`
/// answer it, with the MCP field names. `created` is false when nothing changed since `version`.
public struct CheckpointView: Encodable, Sendable {
  public var slot: String
  public var message: String
  public var result: CheckpointResult

  public init(slot: String, message: String, result: CheckpointResult) {
    self.slot = slot
    self.message = message
    self.result = result
  }

  enum Keys: String, CodingKey {
    case success, slot, workspace, version, created, filesChanged = "files_changed", message
  }

  public func encode(to encoder: any Encoder) throws {
    var fields = encoder.container(keyedBy: Keys.self)
    try fields.encode(true, forKey: .success)
    try fields.encode(slot, forKey: .slot)
    try fields.encode(result.workspace, forKey: .workspace)
    try fields.encode(result.version, forKey: .version)
    try fields.encode(result.created, forKey: .created)
    try fields.encode(result.changes.map(\.path), forKey: .filesChanged)
    try fields.encode(message, forKey: .message)
  }
}
