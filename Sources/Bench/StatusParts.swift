import Foundation
import Host
import PluginKit

/// Where a first `status` call's time goes, in process: opening the project (config, plugins,
/// database, repository), then ProjectStatus itself, cold and again on the open project.
func statusParts(_ arguments: [String]) throws {
  guard let projectPath = option("--project", in: arguments),
    let location = try ProjectLocation.find(explicit: projectPath)
  else { throw GoldfishError(.invalidArgument, "status-parts needs --project DIR") }
  func time<T>(_ body: () throws -> T) rethrows -> (Double, T) {
    let start = DispatchTime.now().uptimeNanoseconds
    let value = try body()
    return (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6, value)
  }
  let guess = location.root + "/.goldfish"
  let (repositoryFirst, _) = try time { try GitRepository.open(at: guess + "/versions.git") }
  let (repositoryAgain, _) = try time { try GitRepository.open(at: guess + "/versions.git") }
  let (storeFirst, _) = try time { try ProjectStore.open(path: guess + "/goldfish.db") }
  let (storeAgain, _) = try time { try ProjectStore.open(path: guess + "/goldfish.db") }
  let (plugins, _) = try time { try PluginHost.start(project: location) }
  let (pluginsAgain, host) = try time { try PluginHost.start(project: location) }
  let names = Set(host.registry.plugins.flatMap(\.services).map(\.name))
  let (config, loaded) = try time { try GoldfishConfig.load(project: location, serviceNames: names) }
  let paths = ProjectPaths(root: location.root, settings: ProjectSettings(config: loaded))
  let (store, _) = try time { try ProjectStore.open(path: paths.database) }
  let (repository, _) = try time { try GitRepository.open(at: paths.repository) }
  let (open, project) = try time { try Project.open(location) }
  let (cold, _) = try time { try ProjectStatus(project: project).recentRuns.count }
  let (warm, _) = try time { try ProjectStatus(project: project).recentRuns.count }
  let result: JSONValue = [
    "repository_first_ms": .double(repositoryFirst), "repository_again_ms": .double(repositoryAgain),
    "store_first_ms": .double(storeFirst), "store_again_ms": .double(storeAgain), "plugin_host_ms": .double(plugins),
    "plugin_host_again_ms": .double(pluginsAgain), "config_ms": .double(config),
    "store_open_ms": .double(store), "repository_open_ms": .double(repository), "project_open_ms": .double(open),
    "status_first_ms": .double(cold),
    "status_again_ms": .double(warm),
  ]
  StdoutGuard.write(try JSONCoding.encode(result) + "\n")
}
