import Foundation
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// `config validate` with `jobs.backend: gce`: `gce.artifact_registry` matters only when runs
/// bring a stage image, and then it is required.
@Suite("gce.artifact_registry in config validate")
struct GCEConfigRuleTests {
  static func validate(_ yaml: String) throws -> (Int32, [String: Any]) {
    let folder = TestEnvironment.temporaryFolder("gce-config-rule")
    try yaml.write(toFile: folder + "/goldfish.yaml", atomically: true, encoding: .utf8)
    let result = Command.goldfish(["config", "validate", "--json", "--project", folder])
    return (result.status, try #require(try result.json() as? [String: Any], "\(result.stdout) \(result.stderr)"))
  }

  static let base = "project_name: demo\njobs:\n  backend: gce\ngce:\n  project_id: p\n  gcs_bucket: b\n"

  static func mentionsRegistry(_ report: [String: Any]) -> Bool {
    let entries = (report["errors"] as? [[String: Any]] ?? []) + (report["notes"] as? [[String: Any]] ?? [])
    return entries.contains { "\($0)".contains("artifact_registry") }
  }

  @Test("no image involved: valid, and not a word about artifact_registry")
  func noImage() throws {
    let (status, report) = try Self.validate(Self.base)
    #expect(status == 0, "\(report)")
    #expect(!Self.mentionsRegistry(report), "\(report)")
  }

  @Test("a profile with a base image without a registry: refused, naming the key, why, and how")
  func imageWithoutRegistry() throws {
    let (status, report) = try Self.validate(
      Self.base + "  profile_overrides:\n    cpu-small:\n      base_image: goldfish/python:3\n")
    #expect(status == 2)
    let error = try #require(
      (report["errors"] as? [[String: Any]])?.first { $0["key"] as? String == "gce.artifact_registry" })
    #expect((error["message"] as? String)?.contains("profile cpu-small names a base_image") == true, "\(error)")
    #expect((error["hint"] as? String)?.contains("gcloud artifacts repositories create") == true)
  }

  @Test("an image builder with a registry: valid")
  func imageWithRegistry() throws {
    let (status, report) = try Self.validate(
      Self.base.replacingOccurrences(of: "  backend: gce\n", with: "  backend: gce\n  image_builder: docker\n")
        + "  artifact_registry: us-central1-docker.pkg.dev/p/goldfish\n")
    #expect(status == 0, "\(report)")
  }

  @Test("another backend: the rule does not apply")
  func otherBackend() throws {
    let (status, report) = try Self.validate(
      "project_name: demo\njobs:\n  backend: process\n  image_builder: docker\n")
    #expect(status == 0, "\(report)")
    #expect(!Self.mentionsRegistry(report))
  }
}
