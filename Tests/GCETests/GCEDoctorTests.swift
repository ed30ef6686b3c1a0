import Foundation
import PluginKit
import PluginSupport
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// `goldfish gce doctor` against the local stand-in: gcplocal (with scripts/gcplocal_ext.py's
/// images, regions and testIamPermissions), the storage emulator and the local registry.
@Suite("goldfish gce doctor", .enabled(if: GCESupport.available))
struct GCEDoctorTests {
  /// A project whose goldfish.yaml points gce at the stand-in; `gce` lines are appended as written.
  static func project(bucket: String = GCSSupport.bucket, gce extra: String = "") throws -> (String, String) {
    try GCSSupport.ensureBucket()
    let cloudProject = GCESupport.project()
    let prefix = "gce-doctor-" + UUID().uuidString.prefix(8).lowercased()
    let fixture = try ProjectFixture(from: WarmProject.pipeline) { root in
      let path = root + "/goldfish.yaml"
      let text = try String(contentsOfFile: path, encoding: .utf8)
      let sections = """

        gce:
          project_id: \(cloudProject)
          api_endpoint: \(GCESupport.endpoint ?? "")
          zones: [us-central1-a]
          gcs_bucket: \(bucket)
          storage_endpoint: http://127.0.0.1:\(GCSSupport.emulatorPort)
          mailbox_prefix: \(prefix)
        \(extra)
        """
      try (text + sections).write(toFile: path, atomically: true, encoding: .utf8)
    }
    return (fixture.root, cloudProject)
  }

  static func doctor(_ root: String) throws -> (Int32, [String: [String: Any]], [String: Any]) {
    let result = Command.goldfish(["gce", "doctor", "--json", "--project", root])
    let report = try #require(try result.json() as? [String: Any], "\(result.stdout) \(result.stderr)")
    var checks: [String: [String: Any]] = [:]
    for check in report["checks"] as? [[String: Any]] ?? [] {
      if let name = check["name"] as? String { checks[name] = check }
    }
    return (result.status, checks, report)
  }

  @Test("passes on the stand-in: APIs answer, every permission held, bucket writable, boot images resolve")
  func passesOnTheStandIn() throws {
    let (root, _) = try Self.project()
    let (status, checks, report) = try Self.doctor(root)
    #expect(status == 0, "\(report)")
    #expect(report["passed"] as? Bool == true)
    for name in ["compute_api", "permissions_project", "bucket", "permissions_bucket", "agent_upload", "boot_images"] {
      #expect(checks[name]?["status"] as? String == "ok", "\(name): \(checks[name] ?? [:])")
    }
    #expect((checks["boot_images"]?["detail"] as? String)?.contains("common-cu129-ubuntu-2204-nvidia-580") == true)
    // No image involved: the registry does not matter, and is not asked for.
    #expect(checks["registry"]?["status"] as? String == "skipped")
    // A new project has no GPU quota: the GPU profiles are named, which does not fail the check.
    #expect(checks["quotas"]?["status"] as? String == "warning")
    #expect((checks["quotas"]?["detail"] as? String)?.contains("NVIDIA_H100_GPUS") == true)
  }

  @Test("a bucket that does not exist is named, with the command that creates it")
  func missingBucket() throws {
    let (root, _) = try Self.project(bucket: "no-such-bucket-" + UUID().uuidString.prefix(6).lowercased())
    let (status, checks, _) = try Self.doctor(root)
    #expect(status == 1)
    #expect(checks["bucket"]?["status"] as? String == "failed")
    #expect(
      (checks["bucket"]?["fix"] as? String)?.contains("gcloud storage buckets create gs://no-such-bucket-") == true)
    // Nothing is written to a bucket that is not there.
    #expect(checks["agent_upload"] == nil)
  }

  @Test("a permission the project denies is named with the role that grants it")
  func deniedPermission() throws {
    let (root, cloudProject) = try Self.project()
    let control = String((GCESupport.endpoint ?? "").dropLast("/compute/v1".count)) + "/_goldfish/deny"
    let denied = try HTTPClient().send(
      try HTTPRequest.json(
        "POST", control, ["project": .string(cloudProject), "permissions": ["compute.instances.create"]]))
    #expect(denied.isSuccess)
    let (status, checks, _) = try Self.doctor(root)
    #expect(status == 1)
    let check = try #require(checks["permissions_project"])
    #expect(check["status"] as? String == "failed")
    #expect((check["detail"] as? String)?.contains("compute.instances.create") == true)
    #expect((check["fix"] as? String)?.contains("roles/compute.instanceAdmin.v1") == true)
    #expect(checks["compute_api"]?["status"] as? String == "ok")
  }

  @Test("an image without a registry, and a boot image family that does not exist, each fail with their fix")
  func registryAndFamily() throws {
    let (root, _) = try Self.project(
      gce: """
          profile_overrides:
            cpu-small:
              base_image: goldfish/python:3
              boot_disk: {image_family: debian-11-nonexistent, image_project: debian-cloud}
        """)
    let (status, checks, report) = try Self.doctor(root)
    #expect(status == 1)
    #expect(report["image_involved"] as? String == "profile cpu-small names a base_image")
    #expect(checks["registry"]?["status"] as? String == "failed")
    #expect((checks["registry"]?["fix"] as? String)?.contains("gce.artifact_registry") == true)
    #expect(checks["boot_images"]?["status"] as? String == "failed")
    #expect((checks["boot_images"]?["detail"] as? String)?.contains("debian-cloud/debian-11-nonexistent") == true)
  }

  @Test("a registry on 127.0.0.1 (scripts/registry.sh) answers", .enabled(if: VMHarness.registry != nil))
  func localRegistry() throws {
    let (root, _) = try Self.project(gce: "  artifact_registry: \(VMHarness.registry ?? "")/goldfish")
    let (_, checks, report) = try Self.doctor(root)
    #expect(report["image_involved"] as? String == "gce.artifact_registry is set")
    #expect(checks["registry"]?["status"] as? String == "ok", "\(checks["registry"] ?? [:])")
  }
}
