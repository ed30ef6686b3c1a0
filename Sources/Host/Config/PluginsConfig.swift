import PluginKit

/// The `plugins:` section of goldfish.yaml.
public struct PluginsConfig: Sendable, Equatable {
  /// Plugin files to load first, relative to the project root.
  public var paths: [String] = []
  /// Extra folders whose `*.so` files are loaded.
  public var searchPaths: [String] = []
  /// Also search the folder of the goldfish executable, ~/.goldfish/plugins and $GOLDFISH_PLUGIN_PATH.
  public var defaults: Bool = true

  public init(paths: [String] = [], searchPaths: [String] = [], defaults: Bool = true) {
    self.paths = paths
    self.searchPaths = searchPaths
    self.defaults = defaults
  }

  static let keys = ["paths", "search_paths", "defaults"]

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
  }

  var json: JSONValue { ["paths": .list(paths), "search_paths": .list(searchPaths), "defaults": .bool(defaults)] }
}
