import PluginKit

/// The `plugins:` section of goldfish.yaml.
public struct PluginsConfig: Sendable, Equatable {
  /// Plugin files to load first, relative to the project root.
  public var paths: [String] = []
  /// Extra folders whose `*.so` files are loaded.
  public var searchPaths: [String] = []
  /// Also search the folder of the goldfish executable, ~/.goldfish/plugins and $GOLDFISH_PLUGIN_PATH.
  public var defaults: Bool = true
  /// How long one call into a plugin may take before the host gives up on it and says which
  /// plugin hung (the call's thread is abandoned: C code cannot be interrupted).
  public var callTimeoutSeconds: Int = 600
  /// Which plugins run in a helper process instead of inside goldfish.
  public var isolation = IsolationPolicy()
  /// The most memory (MiB) an isolated plugin's helper may allocate; nil: no limit. A helper
  /// that leaks up to it fails its allocations (and usually crashes), and is restarted.
  public var isolationMemoryMB: Int?

  public init(paths: [String] = [], searchPaths: [String] = [], defaults: Bool = true, callTimeoutSeconds: Int = 600) {
    self.paths = paths
    self.searchPaths = searchPaths
    self.defaults = defaults
    self.callTimeoutSeconds = callTimeoutSeconds
  }

  static let keys = ["paths", "search_paths", "defaults", "call_timeout_seconds", "isolation", "isolation_memory_mb"]
  static let isolationMemoryRange = 64...1_048_576
  static let callTimeoutRange = 1...86_400

  public init(from document: ConfigDocument) throws(GoldfishError) {
    guard let section = document.value(at: "plugins"), !section.isNull else { return }
    guard let fields = section.objectValue else {
      throw ConfigError.wrongType(document, "plugins", expected: "a mapping with paths, search_paths, defaults")
    }
    for key in fields.keys.sorted() where !Self.keys.contains(key) {
      throw ConfigError.unknownKey(document, "plugins.\(key)", allowed: Self.keys)
    }
    paths = try ConfigError.stringList(document, "plugins.paths")
    searchPaths = try ConfigError.stringList(document, "plugins.search_paths")
    if let value = fields["defaults"] {
      guard let flag = value.boolValue else {
        throw ConfigError.wrongType(document, "plugins.defaults", expected: "true or false")
      }
      defaults = flag
    }
    if let value = fields["call_timeout_seconds"], !value.isNull {
      guard let seconds = value.intValue else {
        throw ConfigError.wrongType(document, "plugins.call_timeout_seconds", expected: "a whole number of seconds")
      }
      guard Self.callTimeoutRange.contains(Int(seconds)) else {
        throw GoldfishError(
          .configInvalid,
          "\(document.locate("plugins.call_timeout_seconds")) is \(seconds); allowed: \(Self.callTimeoutRange.lowerBound)–\(Self.callTimeoutRange.upperBound)",
          detail: ["key": "plugins.call_timeout_seconds"])
      }
      callTimeoutSeconds = Int(seconds)
    }
    isolation = try IsolationPolicy(from: document)
    if let value = fields["isolation_memory_mb"], !value.isNull {
      guard let megabytes = value.intValue else {
        throw ConfigError.wrongType(
          document, "plugins.isolation_memory_mb", expected: "a whole number of MiB", found: value)
      }
      guard Self.isolationMemoryRange.contains(Int(megabytes)) else {
        throw ConfigError.outOfRange(
          document, "plugins.isolation_memory_mb", value: String(megabytes),
          allowed: "\(Self.isolationMemoryRange.lowerBound)–\(Self.isolationMemoryRange.upperBound)")
      }
      isolationMemoryMB = Int(megabytes)
    }
  }

  var json: JSONValue {
    [
      "paths": .list(paths), "search_paths": .list(searchPaths), "defaults": .bool(defaults),
      "call_timeout_seconds": .int(Int64(callTimeoutSeconds)), "isolation": isolation.json,
      "isolation_memory_mb": isolationMemoryMB.map { .int(Int64($0)) } ?? .null,
    ]
  }
}
