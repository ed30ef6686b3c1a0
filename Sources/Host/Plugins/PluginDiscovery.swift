import Foundation

/// Where plugin files come from, in priority order: a service registered by an earlier
/// candidate wins over the same (kind, name) from a later one.
public struct PluginDiscovery: Sendable {
  public struct Candidate: Sendable, Equatable {
    public var path: String
    /// Why this file was looked at: "plugins.paths", "plugins.search_paths", "GOLDFISH_PLUGIN_PATH",
    /// "executable folder", "installed plugins", "~/.goldfish/plugins" or "command line".
    public var origin: String

    public init(path: String, origin: String) {
      self.path = path
      self.origin = origin
    }
  }

  public var explicitPaths: [String]
  public var searchPaths: [String]
  public var includeDefaults: Bool
  public var environment: [String: String]
  public var executableFolder: String?

  public init(
    config: PluginsConfig = PluginsConfig(), projectRoot: String? = nil,
    environment: [String: String] = ProcessInfo.processInfo.environment,
    executableFolder: String? = PluginDiscovery.currentExecutableFolder()
  ) {
    func absolute(_ path: String) -> String {
      if path.hasPrefix("/") { return path }
      if path.hasPrefix("~/") { return NSHomeDirectory() + path.dropFirst(1) }
      return (projectRoot ?? FileManager.default.currentDirectoryPath) + "/" + path
    }
    explicitPaths = config.paths.map(absolute)
    searchPaths = config.searchPaths.map(absolute)
    includeDefaults = config.defaults
    self.environment = environment
    self.executableFolder = executableFolder
  }

  /// The folders searched for plugin files, with why: a file added to one changes its mtime.
  public func folders() -> [(path: String, origin: String)] {
    var folders = searchPaths.map { ($0, "plugins.search_paths") }
    if includeDefaults {
      let fromEnvironment = (environment["GOLDFISH_PLUGIN_PATH"] ?? "").split(separator: ":")
      folders += fromEnvironment.map { (String($0), "GOLDFISH_PLUGIN_PATH") }
      if let executableFolder {
        folders.append((executableFolder, "executable folder"))
        folders.append((executableFolder + "/../lib/goldfish/plugins", "installed plugins"))
      }
      let home = environment["HOME"] ?? NSHomeDirectory()
      folders.append((home + "/.goldfish/plugins", "~/.goldfish/plugins"))
    }
    return folders
  }

  public func candidates() -> [Candidate] {
    var result = explicitPaths.map { Candidate(path: $0, origin: "plugins.paths") }
    for (folder, origin) in folders() {
      var libraries = Self.sharedLibraries(in: folder)
      // A build folder also holds the dynamic libraries of dependencies; only ours are plugins.
      if origin == "executable folder" {
        libraries = libraries.filter { ($0 as NSString).lastPathComponent.hasPrefix("libGoldfish") }
      }
      result += libraries.map { Candidate(path: $0, origin: origin) }
    }
    var seen: Set<String> = []
    return result.filter { seen.insert(Self.canonical($0.path)).inserted }
  }

  /// One file reached through two folders or a symlink is loaded once.
  static func canonical(_ path: String) -> String {
    guard let resolved = realpath(path, nil) else { return path }
    defer { free(resolved) }
    return String(cString: resolved)
  }

  /// `*.so` files of a folder, sorted so discovery order never depends on the file system.
  static func sharedLibraries(in folder: String) -> [String] {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
    return names.filter { $0.hasSuffix(".so") || $0.hasSuffix(".dylib") }.sorted()
      .map { folder.hasSuffix("/") ? folder + $0 : folder + "/" + $0 }
  }

  public static func currentExecutableFolder() -> String? {
    guard let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    else { return nil }
    return URL(fileURLWithPath: path).deletingLastPathComponent().path
  }
}
