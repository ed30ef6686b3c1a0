import Foundation

/// An open project: its settings, files, database and version repository. Both faces of
/// Goldfish (CLI and MCP server) act on a project only through this type and its managers.
public final class Project: Sendable {
  public let location: ProjectLocation
  public let config: GoldfishConfig
  public let plugins: PluginHost
  public let settings: ProjectSettings
  public let paths: ProjectPaths
  public let store: ProjectStore
  public let repository: GitRepository

  /// Opens a project: its plugins first, since goldfish.yaml may hold sections named after
  /// the services they register, then the typed config, the database and the versions.
  public static func open(_ location: ProjectLocation) throws(GoldfishError) -> Project {
    let plugins = try PluginHost.start(project: location)
    let serviceNames = Set(plugins.registry.plugins.flatMap(\.services).map(\.name))
    let config = try GoldfishConfig.load(project: location, serviceNames: serviceNames)
    let settings = ProjectSettings(config: config)
    let paths = ProjectPaths(root: location.root, settings: settings)
    guard FileManager.default.fileExists(atPath: paths.database) else {
      throw GoldfishError(
        .configNotFound, "\(location.root) has goldfish.yaml but no Goldfish data in \(paths.devDir)",
        hint: "it was not created by `goldfish init`, or \(settings.devRepoPath) was moved; restore it")
    }
    WebProjectRegistry.noteOpened(location.root)  // `goldfish web` shows every project opened.
    return Project(
      location: location, config: config, plugins: plugins, paths: paths,
      store: try ProjectStore.open(path: paths.database),
      repository: try GitRepository.open(at: paths.repository))
  }

  init(
    location: ProjectLocation, config: GoldfishConfig, plugins: PluginHost, paths: ProjectPaths,
    store: ProjectStore, repository: GitRepository
  ) {
    self.location = location
    self.config = config
    self.plugins = plugins
    self.settings = ProjectSettings(config: config)
    self.paths = paths
    self.store = store
    self.repository = repository
  }

  public var workspaces: WorkspaceManager { WorkspaceManager(project: self) }
  public var sources: SourceRegistry { SourceRegistry(project: self) }
  public var journal: Journal { Journal(project: self) }

  /// The ignore rules of every version: defaults, goldfish.yaml's extras.
  var ignoreRules: IgnoreRules {
    IgnoreRules(patterns: IgnoreRules.defaultPatterns + settings.extraIgnorePatterns)
  }

  public func validateSlot(_ slot: String) throws(GoldfishError) {
    guard settings.slots.contains(slot) else {
      throw GoldfishError(
        .invalidArgument, "there is no slot \(slot)",
        hint: "slots of this project: \(settings.slots.joined(separator: ", ")) (goldfish.yaml: slots)")
    }
  }
}
