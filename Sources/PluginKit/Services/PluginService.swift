/// What the host tells a service about where it runs (`context_json` of `open`).
public struct ServiceContext: Codable, Sendable, Equatable {
  private enum CodingKeys: String, CodingKey {
    case projectRoot = "project_root"
    case stateDir = "state_dir"
    case hostVersion = "host_version"
    case objectStorage = "object_storage"
  }

  public var projectRoot: String?
  public var stateDir: String?
  public var hostVersion: String?
  /// The object storage the project selects (`storage.backend`) and its goldfish.yaml section,
  /// so a run backend that keeps files in the same store (gce's job mailbox) can default to it
  /// instead of asking the user to write the bucket twice. Absent outside a project.
  public var objectStorage: SelectedService?

  public init(
    projectRoot: String? = nil, stateDir: String? = nil, hostVersion: String? = nil,
    objectStorage: SelectedService? = nil
  ) {
    self.projectRoot = projectRoot
    self.stateDir = stateDir
    self.hostVersion = hostVersion
    self.objectStorage = objectStorage
  }

  /// A service goldfish.yaml selects: its name and its section (`{}` when absent).
  public struct SelectedService: Codable, Sendable, Equatable {
    public var name: String
    public var config: JSONValue

    public init(name: String, config: JSONValue) {
      self.name = name
      self.config = config
    }
  }
}

public enum ServiceKind: Int32, Sendable, CaseIterable, Codable {
  case runBackend = 1
  case objectStorage = 2
  case imageBuilder = 3

  /// The name used in capabilities, config and `goldfish plugins list`.
  public var label: String {
    switch self {
    case .runBackend: return "run_backend"
    case .objectStorage: return "object_storage"
    case .imageBuilder: return "image_builder"
    }
  }

  public init?(label: String) {
    guard let kind = Self.allCases.first(where: { $0.label == label }) else { return nil }
    self = kind
  }
}

/// One service a plugin registers. A conforming type is created once per `open`, with its
/// own goldfish.yaml section, and may be called from several threads unless its
/// capabilities say `"concurrency": "serial"`.
public protocol PluginService: Sendable {
  static var serviceName: String { get }
  static var kind: ServiceKind { get }
  /// Declared capabilities (goldfish_plugin.h documents the keys per kind).
  static var capabilities: JSONValue { get }
  init(config: JSONValue, context: ServiceContext) throws(PluginError)
  /// Checks a goldfish.yaml section without opening anything (`check_config`): no connections,
  /// no files written. Build it from the same settings decoding `init` uses, so each default
  /// is written once. nil (the default): this service does not check its config.
  static func checkConfig(_ config: JSONValue, context: ServiceContext) -> ConfigReport?
}

extension PluginService {
  public static func checkConfig(_ config: JSONValue, context: ServiceContext) -> ConfigReport? { nil }
}

extension PluginService {
  /// Reads a typed configuration, turning a decoding failure into a clear config error.
  public static func decodeConfig<T: Decodable>(
    _ type: T.Type, from config: JSONValue
  )
    throws(PluginError) -> T
  {
    do {
      return try JSONCoding.convert(config, to: T.self)
    } catch {
      throw PluginError(
        .invalidArgument, "the \(serviceName) section of goldfish.yaml is invalid: \(error.message)",
        detail: error.detail)
    }
  }
}
