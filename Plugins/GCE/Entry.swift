import PluginABI
import PluginKit

struct GCEBackend: PlaceholderRunBackend {
  static let serviceName = "gce"
  static let capabilities = Placeholder.capabilities(
    "runs stages on Google Compute Engine VMs with a warm pool; arrives with the GCE work")
  init(config: JSONValue, context: ServiceContext) throws(PluginError) {}
}

@_cdecl("goldfish_plugin_entry")
public func goldfishPluginEntry(_ host: UnsafePointer<gf_host_api>?) -> UnsafeRawPointer? {
  Plugin.export(
    host, name: "goldfish-gce", version: GoldfishVersion.current,
    description: "Runs stages on Google Compute Engine",
    services: [GCEBackend.self])
}
