import PluginABI
import PluginKit

@_cdecl("goldfish_plugin_entry")
public func goldfishPluginEntry(_ host: UnsafePointer<gf_host_api>?) -> UnsafeRawPointer? {
  Plugin.export(
    host, name: "goldfish-slurm", version: GoldfishVersion.current,
    description: "Runs stages as Slurm batch jobs through slurmrestd", services: [SlurmBackend.self])
}
