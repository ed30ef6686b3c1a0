import PluginABI
import PluginKit

@_cdecl("goldfish_plugin_entry")
public func goldfishPluginEntry(_ host: UnsafePointer<gf_host_api>?) -> UnsafeRawPointer? {
  Plugin.export(
    host, name: "goldfish-docker", version: GoldfishVersion.current,
    description: "Runs stages in containers of a local Docker engine and builds their images",
    services: [DockerBackend.self, DockerImageBuilder.self])
}
