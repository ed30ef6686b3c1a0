import Foundation
import PluginKit
import PluginSupport
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// A project whose runs go to gce (`jobs.backend: gce`, `storage.backend: gcs`) with the warm
/// pool on: the Compute API is gcplocal behind a capacity proxy that counts inserts, the VMs
/// are played by the harness (real goldfish-agents), the mailbox and artifacts are in the
/// storage emulator. `gce.gcs_bucket` is deliberately not written: the mailbox has to find
/// `gcs.bucket` through the host.
struct GCEWarmProject {
  let warm: WarmProject
  let cloudProject: String
  let prefix: String
  let proxy: CapacityProxy
  let harness: VMHarness
  var store: ProjectStore { warm.store }

  /// `faults`: what the capacity proxy answers instances.insert with, per zone (CapacityProxy).
  init(
    maxInstances: Int = 2, idleTimeoutSeconds: Int = 600, bootDelay: Double = 0, faults: [String: String] = [:]
  )
    throws
  {
    try GCSSupport.ensureBucket()
    let cloudProject = GCESupport.project()
    let prefix = "gce-warm-" + UUID().uuidString.prefix(8).lowercased()
    let proxy = try CapacityProxy(faults)
    self.cloudProject = cloudProject
    self.prefix = prefix
    self.proxy = proxy
    harness = try VMHarness(project: cloudProject, bootDelay: bootDelay)
    let fixture = try ProjectFixture(from: WarmProject.pipeline) { root in
      let path = root + "/goldfish.yaml"
      let text = try String(contentsOfFile: path, encoding: .utf8)
        .replacingOccurrences(of: "  backend: file", with: "  backend: gcs")
        .replacingOccurrences(of: "  backend: process", with: "  backend: gce")
      let storage = "http://127.0.0.1:\(GCSSupport.emulatorPort)"
      let sections = """

        gcs:
          bucket: \(GCSSupport.bucket)
          prefix: \(prefix)/storage
          endpoint: \(storage)
        gce:
          project_id: \(cloudProject)
          api_endpoint: \(proxy.apiRoot)
          zones: [us-central1-a]
          mailbox_prefix: \(prefix)/mailbox
          operation_poll_seconds: 0.05
          warm_pool:
            enabled: true
            max_instances: \(maxInstances)
            idle_timeout_seconds: \(idleTimeoutSeconds)
            lifetime_seconds: 3600

        """
      try (text + sections).write(toFile: path, atomically: true, encoding: .utf8)
    }
    _ = try fixture.project.workspaces.create(name: "warm", goal: "exercise the warm pool", reason: goodReason)
    _ = try fixture.project.workspaces.mount("warm", slot: "w1", reason: goodReason)
    warm = WarmProject(fixture: fixture)
  }

  /// The same project opened a second time: its own config, plugins and store connection,
  /// as another goldfish process would have.
  func reopened() throws -> WarmProject { WarmProject(fixture: try ProjectFixture.reopened(warm.fixture)) }

  /// Inserts that carried a warm worker (label goldfish-warm=true), and all of them.
  func warmInserts() throws -> Int {
    try proxy.inserts().filter { $0["body"]?["labels"]?["goldfish-warm"]?.stringValue == "true" }.count
  }

  func inserts() throws -> Int { try proxy.inserts().count }

  /// A mailbox object (relative to the mailbox root), nil when absent.
  func mailbox(_ key: String) throws -> String? {
    let name = prefix + "/mailbox/" + key
    let url =
      "http://127.0.0.1:\(GCSSupport.emulatorPort)/storage/v1/b/\(GCSSupport.bucket)/o/"
      + (name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? name) + "?alt=media"
    let response = try HTTPClient().send(HTTPRequest("GET", url))
    return response.status == 404 ? nil : response.text
  }

  /// Whether gcplocal still has a worker's VM: 404 is "gone", any other failure is an error,
  /// never taken for existence.
  func vmExists(_ handle: JSONValue) throws -> Bool {
    let url =
      (GCESupport.endpoint ?? "") + "/projects/\(cloudProject)/zones/\(handle["zone"]?.stringValue ?? "")"
      + "/instances/\(handle["instance"]?.stringValue ?? "")"
    let response = try HTTPClient().send(HTTPRequest("GET", url))
    guard response.status != 404 else { return false }
    guard response.isSuccess else { throw PluginError(.io, "GET \(url): HTTP \(response.status)") }
    return true
  }

  /// Every VM of the cloud project, as gcplocal lists it.
  func vms() throws -> [JSONValue] {
    let url = (GCESupport.endpoint ?? "") + "/projects/\(cloudProject)/zones/us-central1-a/instances"
    return try HTTPClient().send(HTTPRequest("GET", url)).json()["items"]?.arrayValue ?? []
  }

  /// Deletes a VM behind the host's back (an operator, a crash of the machine).
  func deleteVM(of handle: JSONValue) throws {
    let url =
      (GCESupport.endpoint ?? "") + "/projects/\(cloudProject)/zones/\(handle["zone"]?.stringValue ?? "")"
      + "/instances/\(handle["instance"]?.stringValue ?? "")"
    _ = try HTTPClient().send(HTTPRequest("DELETE", url))
  }

  func tearDown() { warm.tearDown() }
}
