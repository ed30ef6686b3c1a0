import PluginABI
import PluginKit

struct GCSStorage: PlaceholderObjectStorage {
  static let serviceName = "gcs"
  static let capabilities = Placeholder.capabilities(
    "stores objects in Google Cloud Storage over the JSON API; arrives with the GCS work")
  init(config: JSONValue, context: ServiceContext) throws(PluginError) {}
}

@_cdecl("goldfish_plugin_entry")
public func goldfishPluginEntry(_ host: UnsafePointer<gf_host_api>?) -> UnsafeRawPointer? {
  Plugin.export(
    host, name: "goldfish-gcs", version: GoldfishVersion.current,
    description: "Stores objects in Google Cloud Storage",
    services: [GCSStorage.self])
}
