import PluginABI
import PluginKit

@_cdecl("goldfish_plugin_entry")
public func goldfishPluginEntry(_ host: UnsafePointer<gf_host_api>?) -> UnsafeRawPointer? {
  Plugin.export(
    host, name: "goldfish-gcs", version: GoldfishVersion.current,
    description: "Stores objects in Google Cloud Storage",
    services: [GCSStorage.self])
}
