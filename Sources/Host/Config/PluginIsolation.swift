import PluginKit

/// Where a plugin's calls run: inside the goldfish process (fast; a crash there ends goldfish)
/// or in a helper process of its own (a crash or hang ends only the helper).
public enum IsolationMode: String, Sendable, Codable, CaseIterable {
  case inProcess = "in_process"
  case process
}

/// `plugins.isolation`: one mode for every plugin, or a default plus overrides keyed by
/// service name or plugin name.
///
///     plugins:
///       isolation: process                      # every plugin in a helper
///     plugins:
///       isolation: {default: in_process, gcs: process, fault-storage: process}
public struct IsolationPolicy: Sendable, Equatable {
  public var defaultMode: IsolationMode = .inProcess
  /// Service name or plugin name → mode. A service name wins over its plugin's name.
  public var overrides: [String: IsolationMode] = [:]

  public init(defaultMode: IsolationMode = .inProcess, overrides: [String: IsolationMode] = [:]) {
    self.defaultMode = defaultMode
    self.overrides = overrides
  }

  public func mode(plugin: String, service: String) -> IsolationMode {
    overrides[service] ?? overrides[plugin] ?? defaultMode
  }

  /// Override keys that name neither a loaded plugin nor a loaded service: likely typos.
  public func unknownNames(plugins: [PluginInfo]) -> [String] {
    let known = Set(plugins.map(\.name) + plugins.flatMap { $0.services.map(\.name) })
    return overrides.keys.filter { !known.contains($0) }.sorted()
  }

  static let keyPath = "plugins.isolation"

  init(from document: ConfigDocument) throws(GoldfishError) {
    guard let value = document.value(at: Self.keyPath), !value.isNull else { return }
    let allowed = IsolationMode.allCases.map(\.rawValue)
    func mode(_ value: JSONValue, at keyPath: String) throws(GoldfishError) -> IsolationMode {
      guard let word = value.stringValue else {
        throw ConfigError.wrongType(
          document, keyPath, expected: "one of \(allowed.joined(separator: ", "))", found: value)
      }
      guard let mode = IsolationMode(rawValue: word) else {
        throw ConfigError.notOneOf(document, keyPath, value: word, allowed: allowed)
      }
      return mode
    }
    if value.stringValue != nil {
      defaultMode = try mode(value, at: Self.keyPath)
      return
    }
    guard let fields = value.objectValue else {
      throw ConfigError.wrongType(
        document, Self.keyPath,
        expected: "in_process, process, or a mapping like {default: in_process, gcs: process}", found: value)
    }
    for name in fields.keys.sorted() {
      let keyPath = Self.keyPath + "." + name
      let chosen = try mode(fields[name] ?? .null, at: keyPath)
      if name == "default" {
        defaultMode = chosen
        continue
      }
      guard ServiceInspector.isValidName(name) else {
        throw ConfigError.invalid(
          document, keyPath, "\"\(name)\" is not a plugin or service name",
          hint: "keys are \"default\" or a service or plugin name as `goldfish plugins list` shows it, e.g. gcs")
      }
      overrides[name] = chosen
    }
  }

  var json: JSONValue {
    var fields: [String: JSONValue] = ["default": .string(defaultMode.rawValue)]
    for (name, mode) in overrides { fields[name] = .string(mode.rawValue) }
    return .object(fields)
  }
}
