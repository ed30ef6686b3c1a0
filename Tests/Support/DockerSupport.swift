import Foundation
import PluginKit

@testable import Host

/// The private engine scripts/docker-engine.sh starts (DOCKER_HOST), and projects that run
/// their stages on it. Tests that need it are enabled only when DOCKER_HOST is set; CI
/// always starts the engine, so none of them is skipped there.
enum DockerSupport {
  static let hostAddress = ProcessInfo.processInfo.environment["DOCKER_HOST"]
  static let available = hostAddress?.hasPrefix("unix://") == true
  static var socket: String { String((hostAddress ?? "unix:///var/run/docker.sock").dropFirst("unix://".count)) }
  static let image = ProcessInfo.processInfo.environment["GOLDFISH_PYTHON_IMAGE"] ?? "goldfish/python:3"

  /// The sample project of ExecutionTests, with jobs on the docker backend at `socket`.
  /// `dockerExtra`: more YAML lines of the `docker:` section, each indented by two spaces.
  static func sampleProject(
    socket: String = DockerSupport.socket, dockerExtra: String = "",
    edit: @escaping @Sendable (String) -> String = { $0 }
  ) throws -> ProjectFixture {
    try SamplePipeline.project { text in
      edit(text).replacingOccurrences(of: "  backend: process", with: "  backend: docker")
        + "\ndocker:\n  socket: \(socket)\n  base_images:\n    cpu: \(image)\n" + dockerExtra
    }
  }

  /// The docker run backend itself, opened from this build's plugin.
  static func backend() throws -> OpenedService {
    let registry = PluginRegistry.load([.init(path: TestEnvironment.plugin("GoldfishDocker"), origin: "test")])
    return try registry.open(.runBackend, "docker", config: ["socket": .string(socket)])
  }
}
