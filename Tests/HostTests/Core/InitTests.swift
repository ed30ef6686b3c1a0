import Foundation
import Testing

@testable import GoldfishTestSupport
@testable import Host

@Suite("goldfish init")
struct InitTests {
  @Test("init creates the project, says which backend it chose and why")
  func creates() throws {
    let folder = TestEnvironment.temporaryFolder("init")
    let result = Command.goldfish(["init", "demo"], cwd: folder)
    #expect(result.status == 0, "\(result.stderr)")
    // With the test engine up (DOCKER_HOST), init picks the docker backend, as it should.
    let backend = DockerSupport.available ? "docker" : "process"
    #expect(result.stdout.contains("Run backend: \(backend)"), "\(result.stdout)")
    if !DockerSupport.available {
      #expect(result.stdout.contains("no Docker engine answers") || result.stdout.contains("no docker run backend"))
    } else {
      #expect(result.stdout.contains("a Docker engine answers at \(DockerSupport.socket)"), "\(result.stdout)")
    }
    let root = folder + "/demo"
    for file in ["goldfish.yaml", "STATE.md", ".goldfish/goldfish.db", ".goldfish/versions.git/HEAD"] {
      #expect(FileManager.default.fileExists(atPath: root + "/" + file), "\(file) missing")
    }
    let yaml = try String(contentsOfFile: root + "/goldfish.yaml", encoding: .utf8)
    #expect(yaml.contains("backend: \(backend)"))
  }

  @Test("re-running init refuses and touches nothing")
  func refusesExisting() throws {
    let folder = TestEnvironment.temporaryFolder("reinit")
    #expect(Command.goldfish(["init", "demo"], cwd: folder).status == 0)
    let config = folder + "/demo/goldfish.yaml"
    try "project_name: demo\n# my edit\n".write(toFile: config, atomically: true, encoding: .utf8)
    let before =
      try FileManager.default.attributesOfItem(atPath: folder + "/demo/.goldfish/goldfish.db")[.modificationDate]
      as? Date
    let again = Command.goldfish(["init", "demo"], cwd: folder)
    #expect(again.status == 2)
    #expect(again.stderr.contains("already a Goldfish project; nothing was changed"))
    #expect(try String(contentsOfFile: config, encoding: .utf8) == "project_name: demo\n# my edit\n")
    let after =
      try FileManager.default.attributesOfItem(atPath: folder + "/demo/.goldfish/goldfish.db")[.modificationDate]
      as? Date
    #expect(before == after)
  }

  @Test("--from brings existing code in as the initial files")
  func fromSource() throws {
    let source = TestEnvironment.temporaryFolder("source")
    try FileManager.default.createDirectory(atPath: source + "/modules", withIntermediateDirectories: true)
    try "print('hi')\n".write(toFile: source + "/modules/prep.py", atomically: true, encoding: .utf8)
    let fixture = try ProjectFixture(from: source)
    try fixture.mountedWorkspace()
    #expect(fixture.read("modules/prep.py") == "print('hi')\n")
  }

  @Test("a backend is chosen by what answers: docker only with an engine and a docker backend")
  func backendChoice() {
    var initializer = ProjectInitializer(
      name: "x", path: "/tmp/none", from: nil, availableBackends: ["process", "docker"])
    initializer.dockerSocket = "/nonexistent/docker.sock"
    #expect(initializer.chooseBackend().0 == "process")
    #expect(initializer.chooseBackend().1.contains("/nonexistent/docker.sock"))
  }
}
