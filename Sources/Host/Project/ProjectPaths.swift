import PluginKit

/// Where every file of a project lives.
public struct ProjectPaths: Sendable, Equatable {
  public let root: String
  public let devDir: String
  public let workspacesDir: String
  public let stateMD: String

  public init(root: String, settings: ProjectSettings) {
    self.root = root
    devDir = settings.devRepoPath.hasPrefix("/") ? settings.devRepoPath : root + "/" + settings.devRepoPath
    workspacesDir = settings.workspacesDir.hasPrefix("/") ? settings.workspacesDir : root + "/" + settings.workspacesDir
    stateMD = settings.stateMDPath.hasPrefix("/") ? settings.stateMDPath : root + "/" + settings.stateMDPath
  }

  public var config: String { root + "/goldfish.yaml" }
  /// A bare git repository: workspaces are branches in it, versions are tags.
  public var repository: String { devDir + "/versions.git" }
  public var database: String { devDir + "/goldfish.db" }
  public var locks: String { devDir + "/locks" }
  public var runs: String { devDir + "/runs" }
  /// Stage modules known to compile (the preflight's `CompiledModules`).
  public var compiledModules: String { devDir + "/cache/compiled" }
  /// Each run's folders under `runs`.
  public var runLayout: RunLayout { RunLayout(runsRoot: runs) }

  public func slot(_ name: String) -> String { workspacesDir + "/" + name }
}
