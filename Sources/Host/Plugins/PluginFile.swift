import Foundation
import Synchronization

/// One plugin file of a registry: loaded already, or known from the descriptor cache and loaded
/// the first time a service of it is opened (by one caller; the others wait for that load).
final class PluginFile: Sendable {
  let path: String
  let origin: String
  private let stamp: PluginFileStamp?
  private let loaded: Mutex<Result<LoadedPlugin, PluginRefusal>?>

  init(path: String, origin: String, stamp: PluginFileStamp) {
    self.path = path
    self.origin = origin
    self.stamp = stamp
    loaded = Mutex(nil)
  }

  init(loaded plugin: LoadedPlugin, stamp: PluginFileStamp?) {
    path = plugin.info.path
    origin = plugin.info.origin
    self.stamp = stamp
    loaded = Mutex(.success(plugin))
  }

  func load() -> Result<LoadedPlugin, PluginRefusal> {
    loaded.withLock { state in
      if let state { return state }
      let result = Self.loadNow(path: path, origin: origin, stamp: stamp)
      state = result
      return result
    }
  }

  /// Files this process loaded, by path: a project opened again (the MCP server opens one per
  /// concurrent call, and again after goldfish.yaml changes) reuses them while their stamp holds,
  /// instead of running each plugin's entry point and checks again. dlopen would return the same
  /// handle anyway: plugins are never unloaded.
  private static let loadedFiles = Mutex<[String: (stamp: PluginFileStamp, plugin: LoadedPlugin)]>([:])

  /// Loads the file now (or finds it loaded by this process, unchanged); refusals are not kept.
  static func loadNow(path: String, origin: String, stamp: PluginFileStamp?) -> Result<LoadedPlugin, PluginRefusal> {
    if let stamp, var known = loadedFiles.withLock({ $0[path] }), known.stamp == stamp {
      known.plugin.info.origin = origin
      return .success(known.plugin)
    }
    let result = PluginLoader.load(path: path, origin: origin)
    if let stamp, case .success(let plugin) = result {
      loadedFiles.withLock { $0[path] = (stamp, plugin) }
    }
    return result
  }
}
