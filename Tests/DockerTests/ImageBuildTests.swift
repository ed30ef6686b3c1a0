import Foundation
import PluginKit
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// `goldfish images …` (the faces of manage_base_images and get_build_status) against a real
/// engine: a build ahead of a run, kept in image_builds with its log, and used by the next run.
@Suite(
  "image builds on the docker engine", .serialized,
  .enabled(if: DockerSupport.available, "needs DOCKER_HOST (scripts/docker-engine.sh)"))
struct ImageBuildTests {
  static func json(_ result: CommandResult, sourceLocation: SourceLocation = #_sourceLocation) throws -> JSONValue {
    try JSONDecoder().decode(JSONValue.self, from: Data(result.stdout.utf8))
  }

  @Test("a build that succeeds: recorded, its log kept, checked ready, and the next run uses the image unbuilt")
  func buildSucceeds() throws {
    // numpy ships in the base image, so pip needs no network; a unique log name gives a new tag.
    let marker = UUID().uuidString.prefix(8)
    let fixture = try DockerSupport.sampleProject(
      dockerExtra: "  extra_packages:\n    base: [numpy]\n    cpu: [\"--no-index\", \"--log=/tmp/pip-\(marker).log\"]\n"
    )
    let before = Command.goldfish(["images", "check", "--project", fixture.root])
    #expect(before.status == 1 && before.stdout.contains("not built yet"), "\(before.stdout)\n\(before.stderr)")

    let built = try Deadline.within(600) {
      Command.goldfish(["images", "build", "--json", "--project", fixture.root])
    }
    #expect(built.status == 0, "\(built.stdout)\n\(built.stderr)")
    let view = try Self.json(built)
    #expect(view["status"] == "completed", "\(view)")
    let tag = try #require(view["image_tag"]?.stringValue)
    #expect(tag.hasPrefix("goldfish-stage:"))
    #expect(view["logs_tail"]?.stringValue?.contains("Successfully tagged \(tag)") == true, "\(view)")
    let logPath = try #require(view["logs_uri"]?.stringValue)
    let log = try String(contentsOfFile: logPath, encoding: .utf8)
    #expect(log.contains("Requirement already satisfied: numpy"))
    #expect(log.components(separatedBy: "Successfully tagged").count == 2, "each line of the build once:\n\(log)")
    let id = try #require(view["build_id"]?.stringValue)
    let row = try #require(try fixture.project.store.imageBuild(id))
    #expect(row.status == .completed && row.imageTag == tag && row.completedAt != nil && row.error == nil)

    let status = Command.goldfish(["images", "status", id, "--json", "--project", fixture.root])
    #expect(try Self.json(status)["status"] == "completed", "\(status.stdout)\(status.stderr)")
    let after = Command.goldfish(["images", "check", "--project", fixture.root])
    #expect(after.status == 0 && after.stdout.contains("ready"), "\(after.stdout)\n\(after.stderr)")

    // The image built ahead is the one the run needs: the run builds nothing.
    let (run, runs) = try SamplePipeline.run(fixture, ["preprocess"])
    #expect(run.status == "completed", "\(runs.map { $0.error ?? "" })")
    #expect(!FileManager.default.fileExists(atPath: try #require(runs[0].workDir) + "/build.log"), "rebuilt")
  }

  @Test("a build that fails: status failed with the error and the end of its log, exit 1")
  func buildFails() throws {
    let missing = "no-such-package-\(UUID().uuidString.prefix(8).lowercased())"
    let fixture = try DockerSupport.sampleProject(
      dockerExtra: "  extra_packages:\n    base: [--no-index, \(missing)]\n")
    let built = try Deadline.within(600) {
      Command.goldfish(["images", "build", "--json", "--project", fixture.root])
    }
    let view = try Self.json(built)
    #expect(view["status"] == "failed", "\(view)")
    #expect(view["error"]?.stringValue?.isEmpty == false, "\(view)")
    #expect(view["logs_tail"]?.stringValue?.contains(missing) == true, "\(view)")
    let id = try #require(view["build_id"]?.stringValue)
    let plain = Command.goldfish(["images", "status", id, "--project", fixture.root])
    #expect(plain.status == 0 && plain.stdout.contains("failed") && plain.stdout.contains(missing), "\(plain.stdout)")
    #expect(built.status == 1)
    let row = try #require(try fixture.project.store.imageBuild(id))
    #expect(row.status == .failed && row.completedAt != nil)
  }

  @Test("a detached build returns its id at once and finishes in its own process")
  func detachedBuild() throws {
    let marker = UUID().uuidString.prefix(8)
    let fixture = try DockerSupport.sampleProject(
      dockerExtra: "  extra_packages:\n    base: [numpy]\n    cpu: [\"--no-index\", \"--log=/tmp/pip-\(marker).log\"]\n"
    )
    let started = Command.goldfish(["images", "build", "--detach", "--json", "--project", fixture.root])
    let view = try Self.json(started)
    #expect(["pending", "building"].contains(view["status"]?.stringValue ?? ""), "\(view)")
    let id = try #require(view["build_id"]?.stringValue)
    let final = try Deadline.within(600) { () throws -> ImageBuildView in
      while true {
        let status = try ImageBuilds(project: fixture.project).status(id)
        if !["pending", "building"].contains(status.status) { return status }
        Thread.sleep(forTimeInterval: 0.3)
      }
    }
    #expect(final.status == "completed", "\(final.error ?? "") \(final.logsTail)")
    let inspect = try Self.json(Command.goldfish(["images", "inspect", "--project", fixture.root]))
    #expect(inspect["exists"] == true && inspect["tag"]?.stringValue == final.imageTag, "\(inspect)")
    #expect(inspect["last_build"]?["build_id"]?.stringValue == id, "\(inspect)")
  }
}
