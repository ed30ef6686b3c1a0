/// What the project core reads from goldfish.yaml. It is filled from the typed config so the
/// core does not depend on every section of it.
public struct ProjectSettings: Sendable, Equatable {
  public var projectName: String
  /// The hidden folder with the version repository and the database, relative to the project.
  public var devRepoPath: String = ".goldfish"
  public var workspacesDir: String = "workspaces"
  public var slots: [String] = ["w1", "w2", "w3"]
  public var stateMDPath: String = "STATE.md"
  public var maxRecentActions: Int = 15
  public var minReasonLength: Int = 15
  /// The largest file a version may hold; nil means no limit.
  public var maxFileBytes: Int64? = 100 << 20
  public var extraIgnorePatterns: [String] = []
  public var invariants: [String] = []

  public init(projectName: String) { self.projectName = projectName }
}
