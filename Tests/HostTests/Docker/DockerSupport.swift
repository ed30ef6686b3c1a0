import Foundation
@testable import Host
import PluginKit

/// The private engine scripts/docker-engine.sh starts (DOCKER_HOST), and projects that run
/// their stages on it. Tests that need it are enabled only when DOCKER_HOST is set; CI
/// always starts the engine, so none of them is skipped there.
enum DockerSupport {
  static let hostAddress = ProcessInfo.processInfo.environment["DOCKER_HOST"]
  static let available = hostAddress?.hasPrefix("unix://") == true
  static var socket: String { String((hostAddress ?? "unix:///var/run/docker.sock").dropFirst("unix://".count)) }
  static let image = ProcessInfo.processInfo.environment["GOLDFISH_PYTHON_IMAGE"] ?? "goldfish/python:3"

  /// The sample project of ExecutionTests, with jobs on the docker backend at `socket`.
  static func sampleProject(socket: String = DockerSupport.socket) throws -> ProjectFixture {
    let fixture = try ProjectFixture(from: ExecutionTests.samples) { root in
      let path = root + "/goldfish.yaml"
      var text = try String(contentsOfFile: path, encoding: .utf8)
      text = text.replacingOccurrences(of: "  backend: process", with: "  backend: docker")
      text += "\ndocker:\n  socket: \(socket)\n  base_images:\n    cpu: \(image)\n"
      try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
    _ = try fixture.project.sources.register(
      .init(
        name: "points", location: ExecutionTests.samples + "/points.csv", description: "noisy points on a line",
        metadata: nil, reason: goodReason))
    _ = try fixture.project.workspaces.create(name: "line", goal: "fit a line", reason: goodReason)
    _ = try fixture.project.workspaces.mount("line", slot: "w1", reason: goodReason)
    return fixture
  }

  /// The docker run backend itself, opened from this build's plugin.
  static func backend() throws -> OpenedService {
    let registry = PluginRegistry.load([.init(path: TestEnvironment.plugin("GoldfishDocker"), origin: "test")])
    return try registry.open(.runBackend, "docker", config: ["socket": .string(socket)])
  }
}
