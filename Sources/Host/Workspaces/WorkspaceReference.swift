/// `name`, `name@v3` or `main`: what a workspace is created from or compared with.
public struct WorkspaceReference: Sendable, Equatable, CustomStringConvertible {
  public var workspace: String
  public var version: Int?

  public static let main = WorkspaceReference(workspace: "main", version: nil)

  public init(workspace: String, version: Int?) {
    self.workspace = workspace
    self.version = version
  }

  public init(parsing text: String) throws(GoldfishError) {
    let parts = text.split(separator: "@", omittingEmptySubsequences: false)
    guard parts.count <= 2, let name = parts.first, !name.isEmpty else {
      throw GoldfishError(
        .invalidArgument, "\(NameRule.quoted(text)) is not WORKSPACE or WORKSPACE@vN", hint: "e.g. baseline@v3")
    }
    workspace = String(name)
    if parts.count == 2 {
      version = try VersionLabel.parse(String(parts[1]))
    }
  }

  public var description: String { version.map { "\(workspace)@v\($0)" } ?? workspace }
}
