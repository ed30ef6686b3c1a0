import Foundation
import PluginKit
import PluginSupport
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// The host's warm pool driving the docker backend: stage runs of a real pipeline reuse one
/// long-lived agent container, as they reuse an agent process on the process backend.
@Suite(
  "warm pool on the docker backend", .serialized,
  .enabled(if: DockerSupport.available, "needs DOCKER_HOST (scripts/docker-engine.sh)"))
struct DockerWarmPoolTests {
  let engine = HTTPClient(unixSocket: DockerSupport.socket)

  /// Containers carrying a warm worker's label, running or not.
  func containers(of workerID: String) throws -> Int {
    let filter = "{\"label\":[\"goldfish.warm-worker=\(workerID)\"]}"
    let query = filter.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
    let response = try engine.send(HTTPRequest("GET", "http://docker/v1.41/containers/json?all=1&filters=\(query)"))
    return try response.json().arrayValue?.count ?? -1
  }

  @Test("5.7 #1 #2 #51 a second stage run goes to the same warm container: no launch, its output its own")
  func reuseThroughTheHost() throws {
    let warm = try WarmProject(backend: "docker")
    defer { warm.tearDown() }
    let a = try warm.run()
    #expect(a.state == .awaitingUserFinalization, "\(a.error ?? "")")
    let worker = try #require(warm.workerID(of: a))
    #expect(try warm.store.worker(worker)?.state == .idleReady)
    #expect(try containers(of: worker) == 1)

    let b = try warm.run()
    #expect(b.state == .awaitingUserFinalization, "\(b.error ?? "")")
    #expect(warm.workerID(of: b) == worker)
    #expect(try warm.reservations() == 1)
    #expect(try containers(of: worker) == 1)
    // Each run's stored handle names the container it ran in (upstream #51).
    let container = warm.workerHandle(of: a)?["container_id"]?.stringValue
    #expect(container?.isEmpty == false)
    #expect(warm.workerHandle(of: b)?["container_id"]?.stringValue == container)
    #expect(warm.text((a.workDir ?? "") + "/outputs/note") == a.id)
    #expect(warm.text((b.workDir ?? "") + "/outputs/note") == b.id)

    // Emergency cleanup removes the container and, once the engine confirms, the row.
    let services = try warm.services()
    _ = try WarmPoolCleanup(services: services).run(reason: "test over")
    try warm.waitUntil("the warm container is gone") { try containers(of: worker) == 0 }
  }
}
