import Foundation
import PluginKit

/// The `docker` section of goldfish.yaml as this plugin reads it. The backend and the image
/// builder are both named docker and share the section, so they share this one reading (and
/// report the same keys). The rest of the section is the host's: the stage image recipe
/// (`base_images`, `extra_packages`, ...), the stages' `network` and the warm pool.
struct DockerSettings: Sendable {
  private struct Raw: Decodable {
    var socket: String?
    /// goldfish-agent for warm containers; absent means next to this plugin or goldfish.
    var agent: String?
    /// Network of the build's RUN steps: "host" (pip can reach an index when there is one) or "none".
    var build_network: String?
  }

  static let keys = ["socket", "agent", "build_network"]
  static let hostKeys = [
    "base_images", "base_from", "base_image_version", "project_image_version", "extra_packages", "network",
    "cloud_build",
    "warm_pool",
  ]

  let socket: String
  let agent: String?
  let buildNetwork: String

  init(config: JSONValue, environment: [String: String] = ProcessInfo.processInfo.environment) throws(PluginError) {
    let raw = try DockerBackend.decodeConfig(Raw.self, from: config)
    socket = try DockerEngine.socket(configured: raw.socket, environment: environment)
    agent = raw.agent
    buildNetwork = raw.build_network ?? "host"
    guard ["host", "none"].contains(buildNetwork) else {
      throw PluginError(
        .invalidArgument, "docker.build_network must be host or none, got \(buildNetwork)",
        detail: ["key": "build_network"])
    }
  }

  var effective: JSONValue {
    ["socket": .string(socket), "agent": agent.map { .string($0) } ?? .null, "build_network": .string(buildNetwork)]
  }

  static func report(_ config: JSONValue) -> ConfigReport {
    let unknown = ConfigReport.unknownKeys(in: config, allowed: keys, ignored: hostKeys)
    do {
      return ConfigReport(effective: try DockerSettings(config: config).effective, problems: unknown)
    } catch {
      return ConfigReport(refused: error, problems: unknown)
    }
  }
}
