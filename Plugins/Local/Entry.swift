import PluginABI
import PluginKit

@_cdecl("goldfish_plugin_entry")
public func goldfishPluginEntry(_ host: UnsafePointer<gf_host_api>?) -> UnsafeRawPointer? {
  Plugin.export(
    host, name: "goldfish-local", version: GoldfishVersion.current,
    description: "Runs stages as local processes and stores objects as local files",
    services: [FileStorage.self, ProcessBackend.self])
}
