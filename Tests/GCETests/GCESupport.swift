import Foundation
import PluginKit
import PluginSupport

@testable import GoldfishTestSupport
@testable import Host

/// gcplocal (GOLDFISH_GCE_ENDPOINT, scripts/gcplocal.sh) plus the storage emulator
/// (STORAGE_EMULATOR_HOST) for the mailbox: the gce backend opened on them, and a capacity
/// proxy in front of gcplocal. Tests run only when both are up; scripts/test.sh starts both.
enum GCESupport {
  static let endpoint = ProcessInfo.processInfo.environment["GOLDFISH_GCE_ENDPOINT"]
  static let available = endpoint != nil && GCSSupport.available

  static var port: Int {
    let authority = endpoint?.split(separator: "/").dropFirst().first ?? ""
    return Int(authority.split(separator: ":").last.map(String.init) ?? "") ?? 0
  }

  /// A project of its own per test, so instances of one test never show up in another's lists.
  static func project() -> String { "gf-test-" + UUID().uuidString.prefix(8).lowercased() }

  struct Opened {
    let backend: OpenedService
    let project: String
    let prefix: String
    let apiRoot: String
  }

  /// The gce backend of this build; `apiRoot` overrides gcplocal (a capacity proxy).
  static func open(
    apiRoot: String? = nil, zones: [String] = ["us-central1-a"], context: ServiceContext? = nil,
    project chosen: String? = nil, _ extra: [String: JSONValue] = [:]
  ) throws -> Opened {
    try GCSSupport.ensureBucket()
    let project = chosen ?? project()
    let prefix = "gce-" + UUID().uuidString.prefix(8).lowercased()
    let root = apiRoot ?? endpoint ?? ""
    var config: [String: JSONValue] = [
      "project_id": .string(project), "api_endpoint": .string(root),
      "zones": .array(zones.map { .string($0) }), "gcs_bucket": .string(GCSSupport.bucket),
      "mailbox_prefix": .string(prefix), "storage_endpoint": .string("http://127.0.0.1:\(GCSSupport.emulatorPort)"),
      "operation_poll_seconds": .double(0.05), "initial_backoff_sec": .double(0.01), "capacity_wait_seconds": 30,
    ]
    for (key, value) in extra { config[key] = value }
    let registry = PluginRegistry.load([.init(path: TestEnvironment.plugin("GoldfishGCE"), origin: "test")])
    return Opened(
      backend: try registry.open(
        .runBackend, "gce", config: .object(config),
        context: context ?? ServiceContext(hostVersion: GoldfishVersion.current)), project: project, prefix: prefix,
      apiRoot: root)
  }

  /// A run spec with a resolved profile, as the host's RunSpecBuilder sends it.
  static func spec(
    _ runId: String, definition: JSONValue? = nil, worker: WorkerOptions? = nil, outputsDir: String? = nil,
    codeDir: String? = nil, command: [String] = ["python3", "-c", "print('hi')"]
  ) -> RunSpec {
    let profile = ResourceProfile(
      name: "cpu-small", machineType: definition?["machine_type"]?.stringValue ?? "n2-standard-4",
      definition: definition ?? ResourceProfiles.builtIn["cpu-small"]!.json.replacing(zones: ["us-central1-a"]))
    return RunSpec(
      runId: runId, command: command, workDir: "/tmp", env: ["GOLDFISH_RUN_ID": runId], codeDir: codeDir,
      outputsDir: outputsDir, profile: profile, labels: ["goldfish-project": "demo", "goldfish-run": runId],
      worker: worker)
  }

  /// gcplocal's own view of an instance (nil on 404), bypassing the backend.
  static func instance(_ opened: Opened, zone: String, _ name: String) throws -> JSONValue? {
    let url = (endpoint ?? "") + "/projects/\(opened.project)/zones/\(zone)/instances/\(name)"
    let response = try HTTPClient().send(HTTPRequest("GET", url))
    if response.status == 404 { return nil }
    return try response.json()
  }

  /// Every object of the test's mailbox, as names relative to the bucket.
  static func mailboxObjects(_ opened: Opened) throws -> [String] {
    let url = "http://127.0.0.1:\(GCSSupport.emulatorPort)/storage/v1/b/\(GCSSupport.bucket)/o?prefix=\(opened.prefix)/"
    let body = try HTTPClient().send(HTTPRequest("GET", url)).json()
    guard case .array(let items)? = body["items"] else { return [] }
    return items.compactMap { $0["name"]?.stringValue }
  }

  static func putObject(_ opened: Opened, _ key: String, _ text: String) throws {
    let name = opened.prefix + "/" + key
    let url =
      "http://127.0.0.1:\(GCSSupport.emulatorPort)/upload/storage/v1/b/\(GCSSupport.bucket)/o?uploadType=media&name="
      + (name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? name)
    let response = try HTTPClient().send(HTTPRequest("POST", url, body: .bytes(Array(text.utf8))))
    guard response.isSuccess else { throw PluginError(.io, "upload of \(name): HTTP \(response.status)") }
  }

  static func getObject(_ opened: Opened, _ key: String) throws -> String? {
    let name = opened.prefix + "/" + key
    let url =
      "http://127.0.0.1:\(GCSSupport.emulatorPort)/storage/v1/b/\(GCSSupport.bucket)/o/"
      + (name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? name) + "?alt=media"
    let response = try HTTPClient().send(HTTPRequest("GET", url))
    return response.status == 404 ? nil : response.text
  }

  static func status(_ backend: OpenedService, _ handle: JSONValue) throws -> RunStatus {
    try JSONCoding.convert(try backend.call("status", ["handle": handle]), to: RunStatus.self)
  }
}

extension JSONValue {
  func replacing(zones: [String]) -> JSONValue {
    guard case .object(var fields) = self else { return self }
    fields["zones"] = .array(zones.map { .string($0) })
    return .object(fields)
  }
}

/// tests/Fixtures/gce/capacity_proxy.py in front of gcplocal, failing inserts per zone.
final class CapacityProxy {
  let helper: PortPrintingProcess
  var port: Int { helper.port }
  var apiRoot: String { "http://127.0.0.1:\(port)/compute/v1" }

  init(_ faults: [String: String]) throws {
    let script = TestEnvironment.packageRoot + "/Tests/Fixtures/gce/capacity_proxy.py"
    helper = try PortPrintingProcess([
      "python3", script, String(GCESupport.port),
      try JSONCoding.encode(JSONValue.object(faults.mapValues { .string($0) })),
    ])
  }

  /// Every insert the proxy saw, in order: zone, name, the fault it answered (or null), body.
  func inserts() throws -> [JSONValue] {
    let body = try HTTPClient().send(HTTPRequest("GET", "http://127.0.0.1:\(port)/_inserts")).json()
    guard case .array(let items) = body else { return [] }
    return items
  }

  func operationPolls() throws -> Int {
    let body = try HTTPClient().send(HTTPRequest("GET", "http://127.0.0.1:\(port)/_operation_polls")).json()
    return Int(body["count"]?.intValue ?? 0)
  }
}
