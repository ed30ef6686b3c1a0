import Foundation
import PluginKit
import PluginSupport
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// Goldfish's own base image (a recipe built on demand when the engine lacks the base), the
/// push action's refusal without a registry, and `goldfish init` writing down the engine it found.
@Suite(
  "base images built by Goldfish", .serialized,
  .enabled(if: DockerSupport.available, "needs DOCKER_HOST (scripts/docker-engine.sh)"))
struct BaseImageTests {
  /// The sample project on docker with `base` as its cpu base image, built from `from` when missing.
  static func project(base: String, from: String?) throws -> ProjectFixture {
    try SamplePipeline.project { text in
      text.replacingOccurrences(of: "  backend: process", with: "  backend: docker")
        + "\ndocker:\n  socket: \(DockerSupport.socket)\n  base_images:\n    cpu: \(base)\n"
        + (from.map { "  base_from: \($0)\n" } ?? "")
    }
  }

  static func removeImage(_ tag: String) {
    _ = try? HTTPClient(unixSocket: DockerSupport.socket).send(
      HTTPRequest(
        "DELETE",
        "http://docker/v1.41/images/\(tag.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? tag)?force=1")
    )
  }

  @Test("a missing base image with a recipe is built before the run, recorded in image_builds, and reused")
  func missingBaseIsBuilt() throws {
    let base = "goldfish-test/base-\(UUID().uuidString.prefix(8).lowercased()):1"
    defer { Self.removeImage(base) }
    let fixture = try Self.project(base: base, from: DockerSupport.image)
    let (run, runs) = try Deadline.within(600) { try SamplePipeline.run(fixture, ["preprocess"]) }
    #expect(run.status == "completed", "\(runs.map { $0.error ?? "" })")
    let builds = try fixture.project.store.imageBuilds(limit: 10)
    let row = try #require(builds.first { $0.target == "base" }, "\(builds)")
    #expect(row.status == .completed && row.imageTag == base && row.imageType == "cpu", "\(row)")
    let log = try String(contentsOfFile: try #require(row.logPath), encoding: .utf8)
    #expect(log.contains("\(base) is not in the engine: building it from \(DockerSupport.image)"), "\(log)")
    #expect(log.contains("Successfully tagged \(base)"), "\(log)")
    // The run keeps the build's log beside its own.
    let runLog = try String(contentsOfFile: try #require(runs[0].workDir) + "/build.log", encoding: .utf8)
    #expect(runLog.contains("building it from"))
    // Once built, the base is there: the next run builds nothing.
    let (again, _) = try Deadline.within(600) { try SamplePipeline.run(fixture, ["preprocess"], rerun: true) }
    #expect(again.status == "completed")
    #expect(try fixture.project.store.imageBuilds(limit: 10).count == builds.count)
  }

  @Test("a stage image a run builds is recorded in image_builds like a build ahead of the run")
  func runBuildIsRecorded() throws {
    // numpy is in the base image (pip needs no network); the unique log name gives a new tag.
    let marker = UUID().uuidString.prefix(8)
    let fixture = try DockerSupport.sampleProject(
      dockerExtra: "  extra_packages:\n    base: [numpy]\n    cpu: [\"--no-index\", \"--log=/tmp/pip-\(marker).log\"]\n"
    )
    let (run, runs) = try Deadline.within(600) { try SamplePipeline.run(fixture, ["preprocess"]) }
    #expect(run.status == "completed", "\(runs.map { $0.error ?? "" })")
    let builds = try fixture.project.store.imageBuilds(limit: 10)
    #expect(builds.count == 1, "\(builds)")
    let row = try #require(builds.first)
    #expect(row.target == "project" && row.status == .completed && row.imageTag?.hasPrefix("goldfish-stage:") == true)
    let runLog = try String(contentsOfFile: try #require(runs[0].workDir) + "/build.log", encoding: .utf8)
    #expect(runLog.contains("Successfully tagged \(row.imageTag ?? "")"), "\(runLog)")
  }

  @Test("a missing base Goldfish has no recipe for refuses the run and names the setting that fixes it")
  func missingBaseWithoutRecipe() throws {
    let base = "goldfish-test/absent-\(UUID().uuidString.prefix(8).lowercased()):1"
    let fixture = try Self.project(base: base, from: nil)
    let (run, runs) = try Deadline.within(600) { try SamplePipeline.run(fixture, ["preprocess"]) }
    #expect(run.status == "failed")
    let error = runs.first?.error ?? ""
    #expect(error.contains("the base image \(base) does not exist in the engine"), "\(error)")
    #expect(error.contains("docker.base_from"), "\(error)")
    #expect(try fixture.project.store.imageBuilds(limit: 10).isEmpty)
  }

  @Test("push without a registry says which setting is missing, and builds nothing")
  func pushNeedsARegistry() throws {
    let fixture = try DockerSupport.sampleProject()
    let result = Command.goldfish(["images", "push", "--project", fixture.root])
    #expect(result.status != 0)
    #expect(result.stderr.contains("names no registry to push to"), "\(result.stderr)")
    #expect(result.stderr.contains("artifact_registry"), "\(result.stderr)")
    #expect(try fixture.project.store.imageBuilds(limit: 10).isEmpty)
  }

  @Test("goldfish init writes the Docker engine it found into goldfish.yaml, and the project uses it")
  func initWritesTheSocket() throws {
    let path = TestEnvironment.temporaryFolder("init-socket") + "/project"
    var initializer = ProjectInitializer(
      name: "sockets", path: path, from: nil, availableBackends: ["process", "docker"])
    initializer.dockerSocket = DockerSupport.socket
    let outcome = try initializer.run()
    #expect(outcome.backend == "docker")
    let document = try ConfigDocument.load(path + "/goldfish.yaml")
    #expect(document.section("docker")["socket"]?.stringValue == DockerSupport.socket)
    let check = Command.goldfish(["config", "validate", "--project", path])
    #expect(check.status == 0, "\(check.stdout)\n\(check.stderr)")
  }
}
