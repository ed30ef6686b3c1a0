import Foundation
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// A process loads only the plugin files whose services it opens, once the descriptor cache
/// knows them unchanged; `plugins list` still loads every file. glibc's `LD_DEBUG=files` names
/// every file the real goldfish binary maps, dlopen included.
@Suite("lazy plugin loading")
struct LazyPluginLoadingTests {
  static func loaded(_ stderr: String, _ library: String) -> Bool {
    stderr.split(separator: "\n").contains { $0.contains("file=") && $0.contains(library) }
  }

  @Test("the second start of a project loads no plugin it does not open; plugins list loads all")
  func onlySelectedPlugins() throws {
    let folder = TestEnvironment.temporaryFolder("lazy-plugins")
    let cache = folder + "/cache"
    let root = folder + "/demo"
    let made = Command.goldfish(["init", "demo", "--path", root], environment: ["XDG_CACHE_HOME": cache])
    try #require(made.status == 0, "\(made.stderr)")
    let traced = ["XDG_CACHE_HOME": cache, "LD_DEBUG": "files"]

    let first = Command.goldfish(["status", "--json"], environment: traced, cwd: root)
    #expect(first.status == 0, "\(first.stderr.suffix(2000))")
    #expect(FileManager.default.fileExists(atPath: cache + "/goldfish/plugin-descriptors.json"))

    let second = Command.goldfish(["status", "--json"], environment: traced, cwd: root)
    #expect(second.status == 0, "\(second.stderr.suffix(2000))")
    #expect(!Self.loaded(second.stderr, "libGoldfishGCS.so"), "the unused GCS plugin was loaded")
    #expect(!Self.loaded(second.stderr, "libGoldfishGCE.so"), "the unused GCE plugin was loaded")

    let listed = Command.goldfish(["plugins", "list", "--json"], environment: traced, cwd: root)
    #expect(listed.status == 0, "\(listed.stderr.suffix(2000))")
    #expect(Self.loaded(listed.stderr, "libGoldfishGCS.so") && Self.loaded(listed.stderr, "libGoldfishGCE.so"))
    #expect(listed.stdout.contains("\"gcs\"") && listed.stdout.contains("\"process\""), "\(listed.stdout.prefix(500))")
  }

  @Test("a service known from the cache opens: its file is loaded then, and answers")
  func cachedServiceOpens() throws {
    let folder = TestEnvironment.temporaryFolder("lazy-open")
    let plugin = folder + "/libHang.so"
    try FileManager.default.copyItem(atPath: TestEnvironment.fixture("hang_storage"), toPath: plugin)
    let cachePath = folder + "/descriptors.json"
    let candidates = [PluginDiscovery.Candidate(path: plugin, origin: "test")]
    let eager = PluginRegistry.load(candidates, lazy: false, cache: PluginDescriptorCache(path: cachePath))
    #expect(eager.refused.isEmpty, "\(eager.refused)")
    let cached = PluginDescriptorCache(path: cachePath)
    let stamp = try #require(PluginFileStamp(plugin))
    #expect(cached.info(path: plugin, stamp: stamp)?.services.map(\.name) == ["hangstore"])

    let lazy = PluginRegistry.load(candidates, lazy: true, cache: cached)
    #expect(lazy.plugins.map(\.services) == eager.plugins.map(\.services))
    let storage = try lazy.open(.objectStorage, "hangstore", callTimeout: 5)
    #expect(try storage.call("exists", ["uri": "hang:///x"])["exists"] == false)
  }

  @Test("a changed plugin file is not taken from the cache")
  func changedFileIsReloaded() throws {
    let folder = TestEnvironment.temporaryFolder("lazy-changed")
    let plugin = folder + "/libHang.so"
    try FileManager.default.copyItem(atPath: TestEnvironment.fixture("hang_storage"), toPath: plugin)
    let cachePath = folder + "/descriptors.json"
    _ = PluginRegistry.load(
      [.init(path: plugin, origin: "test")], lazy: false, cache: PluginDescriptorCache(path: cachePath))
    let before = try #require(PluginFileStamp(plugin))
    try FileManager.default.removeItem(atPath: plugin)
    try FileManager.default.copyItem(atPath: TestEnvironment.fixture("config_check"), toPath: plugin)
    let after = try #require(PluginFileStamp(plugin))
    #expect(before != after)
    #expect(PluginDescriptorCache(path: cachePath).info(path: plugin, stamp: after) == nil)
  }
}
