import PluginABI
import PluginKit

struct DockerBackend: PlaceholderRunBackend {
  static let serviceName = "docker"
  static let capabilities = Placeholder.capabilities(
    "runs stages in local Docker containers over the Engine API; arrives with the execution work")
  init(config: JSONValue, context: ServiceContext) throws(PluginError) {}
}

struct DockerImageBuilder: PlaceholderImageBuilder {
  static let serviceName = "docker"
  static let capabilities = Placeholder.capabilities(
    "builds stage images through the Docker Engine build API; arrives with the execution work")
  init(config: JSONValue, context: ServiceContext) throws(PluginError) {}
}

@_cdecl("goldfish_plugin_entry")
public func goldfishPluginEntry(_ host: UnsafePointer<gf_host_api>?) -> UnsafeRawPointer? {
  Plugin.export(
    host, name: "goldfish-docker", version: GoldfishVersion.current,
    description: "Runs stages in containers of a local Docker engine",
    services: [DockerBackend.self, DockerImageBuilder.self])
}
