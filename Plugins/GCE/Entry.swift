import PluginABI
import PluginKit

@_cdecl("goldfish_plugin_entry")
public func goldfishPluginEntry(_ host: UnsafePointer<gf_host_api>?) -> UnsafeRawPointer? {
  Plugin.export(
    host, name: "goldfish-gce", version: GoldfishVersion.current,
    description: "Runs stages on Google Compute Engine",
    services: [GCEBackend.self])
}
