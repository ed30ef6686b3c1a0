import Foundation
import PluginKit
import Testing

@testable import Host

/// The host picks services by the names in goldfish.yaml and opens them with their own
/// section, in this process, through dlopen.
@Suite("service selection")
struct ServiceSelectionTests {
  @Test("storage.backend selects a third-party C plugin, opened with its own section")
  func selectsByName() throws {
    let root = TestEnvironment.temporaryFolder("select")
    let yaml = """
      plugins:
        paths: [\(TestEnvironment.fixture("dup_a"))]
        search_paths: [\(TestEnvironment.fixtures)-none]
      storage:
        backend: cdir
      cdir:
        root: objects
      """
    try yaml.write(toFile: root + "/goldfish.yaml", atomically: true, encoding: .utf8)
    let host = try PluginHost.start(project: ProjectLocation(root: root))
    #expect(try host.selectedName(.objectStorage) == "cdir")
    #expect(try host.selectedName(.runBackend) == "process")
    let storage = try host.openSelected(.objectStorage)
    #expect(storage.plugin.name == "example-cdir")
    let uri = try #require(try storage.call("uri_for", ["key": "runs/r1/out.txt"])["uri"]?.stringValue)
    _ = try storage.putBytes(["uri": .string(uri)], Array("selected".utf8))
    #expect(try storage.getBytes(["uri": .string(uri)]) == Array("selected".utf8))
    #expect(FileManager.default.fileExists(atPath: root + "/objects/runs/r1/out.txt"))
  }

  @Test("an unknown backend name lists what is available")
  func unknownName() throws {
    let root = TestEnvironment.temporaryFolder("unknown")
    try "jobs:\n  backend: kubernetes\n".write(toFile: root + "/goldfish.yaml", atomically: true, encoding: .utf8)
    let host = try PluginHost.start(project: ProjectLocation(root: root))
    do {
      _ = try host.openSelected(.runBackend)
      Issue.record("opening an unknown backend succeeded")
    } catch {
      #expect(error.code == .serviceNotFound)
      #expect(error.message.contains("kubernetes"))
      #expect(error.hint?.contains("process") == true)
    }
  }

  @Test("a plugin error keeps its code, retryability and message")
  func structuredErrors() throws {
    let root = TestEnvironment.temporaryFolder("errors")
    let host = try PluginHost.start(project: nil)
    let storage = try host.registry.open(
      .objectStorage, "file", config: ["root": .string(root)], context: ServiceContext())
    do {
      _ = try storage.call("stat", ["uri": .string("file://\(root)/absent")])
      Issue.record("stat of a missing object succeeded")
    } catch {
      #expect(error.error.code == .notFound)
      #expect(error.error.retryable == false)
      #expect(error.function == "stat")
    }
    do {
      _ = try storage.call("stat", ["uri": "file:///etc/passwd"])
      Issue.record("a URI outside the root was accepted")
    } catch {
      #expect(error.error.code == .invalidArgument)
    }
  }
}
