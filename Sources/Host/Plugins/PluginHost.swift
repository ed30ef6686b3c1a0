import Foundation
import PluginKit

/// The plugins of one goldfish process with the project's config: opens the run backend,
/// storage and image builder that goldfish.yaml names, by name only.
public final class PluginHost: Sendable {
  public let project: ProjectLocation?
  public let document: ConfigDocument?
  public let registry: PluginRegistry
  public let callTimeout: TimeInterval
  /// Which services run in a helper process (`plugins.isolation`).
  public let isolation: IsolationPolicy
  /// `plugins.isolation_memory_mb`: the memory limit of each isolated plugin's helper.
  public let isolationMemoryMB: Int?

  /// The config keys that pick each kind of service, and their defaults.
  public static let selectors: [(kind: ServiceKind, key: String, fallback: String?)] = [
    (.runBackend, "jobs.backend", "process"),
    (.objectStorage, "storage.backend", "file"),
    (.imageBuilder, "jobs.image_builder", nil),
  ]

  /// Loads the project's config (if any) and learns every plugin it and the defaults name.
  /// `extraPaths` (from the command line) come before anything else. `loadAll` loads every file
  /// now (`plugins list`); otherwise a file the descriptor cache knows unchanged is loaded only
  /// when one of its services is opened.
  public static func start(
    project: ProjectLocation?, extraPaths: [String] = [], loadAll: Bool = false
  )
    throws(GoldfishError) -> PluginHost
  {
    StdoutGuard.protect()
    let document = try project.map { location throws(GoldfishError) in try ConfigDocument.load(location.configPath) }
    let config =
      try document.map { document throws(GoldfishError) in try PluginsConfig(from: document) } ?? PluginsConfig()
    let discovery = PluginDiscovery(config: config, projectRoot: project?.root)
    let extra = extraPaths.map { PluginDiscovery.Candidate(path: $0, origin: "command line") }
    let registry = PluginRegistry.load(
      extra + discovery.candidates(), lazy: !loadAll, cache: PluginDescriptorCache.standard())
    for name in config.isolation.unknownNames(plugins: registry.plugins) {
      HostAPI.logger.warning("plugins.isolation names \"\(name)\", which is no loaded plugin or service")
    }
    return PluginHost(
      project: project, document: document, registry: registry, callTimeout: TimeInterval(config.callTimeoutSeconds),
      isolation: config.isolation, isolationMemoryMB: config.isolationMemoryMB)
  }

  init(
    project: ProjectLocation?, document: ConfigDocument?, registry: PluginRegistry, callTimeout: TimeInterval,
    isolation: IsolationPolicy = IsolationPolicy(), isolationMemoryMB: Int? = nil
  ) {
    self.project = project
    self.document = document
    self.registry = registry
    self.callTimeout = callTimeout
    self.isolation = isolation
    self.isolationMemoryMB = isolationMemoryMB
  }

  /// Where the calls of one service run.
  public func isolation(_ kind: ServiceKind, _ name: String) -> IsolationMode {
    guard let plugin = registry.info(kind, name)?.plugin.name else { return isolation.defaultMode }
    return isolation.mode(plugin: plugin, service: name)
  }

  public var context: ServiceContext {
    ServiceContext(
      projectRoot: project?.root, stateDir: stateDir, hostVersion: GoldfishVersion.current,
      objectStorage: selectedStorage)
  }

  /// The project's object storage and its section, told to every service (ServiceContext);
  /// nil outside a project or when the selection is unreadable (config check reports that).
  private var selectedStorage: ServiceContext.SelectedService? {
    guard project != nil, let name = try? selectedName(.objectStorage) else { return nil }
    return ServiceContext.SelectedService(name: name, config: document?.section(name) ?? [:])
  }

  /// The project's hidden folder (dev_repo_path), where plugins keep their own state.
  var stateDir: String? {
    guard let project else { return nil }
    let dev = document?.value(at: "dev_repo_path")?.stringValue ?? ".goldfish"
    return dev.hasPrefix("/") ? dev : project.root + "/" + dev
  }

  /// The name goldfish.yaml selects for a kind of service, or nil when none is selected.
  public func selectedName(_ kind: ServiceKind) throws(GoldfishError) -> String? {
    guard let selector = Self.selectors.first(where: { $0.kind == kind }) else { return nil }
    guard let value = document?.value(at: selector.key), !value.isNull else { return selector.fallback }
    guard let name = value.stringValue, !name.isEmpty else {
      throw GoldfishError(
        .configInvalid, "\(document?.locate(selector.key) ?? selector.key) should be a service name",
        hint: "available: \(registry.serviceNames(kind).joined(separator: ", "))")
    }
    return name
  }

  /// Opens a service with the goldfish.yaml section named after it.
  public func open(
    _ kind: ServiceKind, _ name: String, config: JSONValue? = nil
  ) throws(GoldfishError)
    -> OpenedService
  {
    try registry.open(
      kind, name, config: config ?? document?.section(name) ?? [:], context: context, callTimeout: callTimeout,
      isolation: isolation(kind, name), memoryLimitMB: isolationMemoryMB)
  }

  /// Opens the service goldfish.yaml selects for `kind`.
  public func openSelected(_ kind: ServiceKind) throws(GoldfishError) -> OpenedService {
    guard let name = try selectedName(kind) else {
      throw GoldfishError(
        .serviceNotFound, "goldfish.yaml selects no \(kind.label)",
        hint: "set \(Self.selectors.first { $0.kind == kind }?.key ?? kind.label) to one of: "
          + registry.serviceNames(kind).joined(separator: ", "))
    }
    return try open(kind, name)
  }
}
