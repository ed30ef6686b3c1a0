import Foundation
import PluginABI
import PluginKit
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// The plugin ABI grows by appending (goldfish_plugin.h, "Growth"): a plugin built against
/// any 1.x header loads in every 1.x host, and the host reads only what the plugin has.
@Suite("ABI growth")
struct ABIGrowthTests {
  // NEVER DELETE THIS TEST. It is the promise that a plugin released at ABI 1.0 keeps
  // loading and working in every later 1.x goldfish. If it fails, the change that broke it
  // broke every plugin in the field: revert that change, do not touch this test or its
  // fixture (Tests/Fixtures/abi/goldfish_plugin_v1_0.h is frozen).
  @Test("a plugin built against the frozen ABI 1.0 header loads, passes plugins check and works")
  func frozenV1_0() throws {
    let path = TestEnvironment.fixture("abi_v1_0")
    let registry = PluginRegistry.load([.init(path: path, origin: "test")])
    #expect(registry.refused.isEmpty, "\(registry.refused)")
    let plugin = try #require(registry.plugins.first)
    #expect(plugin.abiVersion == "1.0")
    #expect(plugin.services.map(\.name) == ["abirun", "abimem"])
    let backend = try #require(plugin.services.first)
    // list_runs (1.1), request_stop (1.3) and diagnose (1.4) lie past a 1.0 table: read as absent, never read
    // from beyond it.
    #expect(
      backend.unsupported == [
        "deliver_job", "probe_worker", "delete_worker", "list_workers", "list_runs", "request_stop", "diagnose",
      ])
    try Self.use(registry)
    // check_config (1.2) lies past a 1.0 gf_service.
    #expect(registry.checkConfig(.runBackend, "abirun", config: [:]) == .notChecked)

    let check = Command.goldfish(["plugins", "check", path])
    #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
    #expect(check.stdout.contains("cases passed"), "\(check.stdout)")
  }

  @Test("a plugin built against a later header, with a field appended to every struct, loads and works")
  func futureHeader() throws {
    let path = TestEnvironment.fixture("abi_future")
    let registry = PluginRegistry.load([.init(path: path, origin: "test")])
    #expect(registry.refused.isEmpty, "\(registry.refused)")
    let plugin = try #require(registry.plugins.first)
    #expect(plugin.abiVersion == "1.99")
    // Both entries were found although each is 8 bytes larger than this host's gf_service.
    #expect(plugin.services.map(\.name) == ["abirun", "abimem"])
    #expect(plugin.services.first?.unsupported.contains("launch") == false)
    try Self.use(registry)
    let check = Command.goldfish(["plugins", "check", path])
    #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
  }

  @Test(
    "sizes below ABI 1.0 or past any sane size are refused with the reason",
    arguments: [
      ("abi_small_service", "service #1: gf_service struct_size is 48 bytes, smaller than the 56 of ABI 1.0"),
      ("abi_small_table", "object_storage \"abimem\" table struct_size is 80 bytes, smaller than the 88 of ABI 1.0"),
      ("abi_absurd_service", "gf_service struct_size is 1000000 bytes, more than any ABI 1.x struct can be (4096)"),
    ])
  func refusals(fixture: String, reason: String) {
    let registry = PluginRegistry.load([.init(path: TestEnvironment.fixture(fixture), origin: "test")])
    #expect(registry.plugins.isEmpty)
    #expect(registry.refused.first?.reason.contains(reason) == true, "\(registry.refused)")
  }

  @Test("the ABI 1.0 sizes of the header are those of the 1.0 structs")
  func frozenSizes() {
    #expect(ABISize.descriptorV1_0 == MemoryLayout<gf_plugin_descriptor>.size)
    #expect(ABISize.serviceV1_0 == MemoryLayout<gf_service>.offset(of: \gf_service.check_config))
    #expect(ABISize.tableV1_0(.runBackend) == MemoryLayout<gf_run_backend_v1>.offset(of: \gf_run_backend_v1.list_runs))
    #expect(ABISize.tableV1_0(.objectStorage) == MemoryLayout<gf_object_storage_v1>.size)
    #expect(ABISize.tableV1_0(.imageBuilder) == MemoryLayout<gf_image_builder_v1>.size)
    #expect(ABISize.hostAPIV1_0 == MemoryLayout<gf_host_api>.size)
    let frozen: [Int] = [64, 56, 88, 88, 48, 24]
    #expect(
      frozen == [
        ABISize.descriptorV1_0, ABISize.serviceV1_0, ABISize.tableV1_0(.runBackend),
        ABISize.tableV1_0(.objectStorage), ABISize.tableV1_0(.imageBuilder), ABISize.hostAPIV1_0,
      ])
  }

  /// Every name of the shared function lists sits at the offset of the C field of that name,
  /// and every C field of a table has a name: a list and the header cannot drift apart.
  @Test("each function name's slot is its C field's offset")
  func slotsMatchTheHeader() {
    let run: [RunBackendFunction: PartialKeyPath<gf_run_backend_v1>] = [
      .launch: \.launch, .status: \.status, .logs: \.logs, .cancel: \.cancel, .cleanup: \.cleanup,
      .recover: \.recover, .deliverJob: \.deliver_job, .probeWorker: \.probe_worker,
      .deleteWorker: \.delete_worker, .listWorkers: \.list_workers, .listRuns: \.list_runs,
      .requestStop: \.request_stop,
      .diagnose: \.diagnose,
    ]
    let storage: [ObjectStorageFunction: PartialKeyPath<gf_object_storage_v1>] = [
      .putFile: \.put_file, .getFile: \.get_file, .putBytes: \.put_bytes, .getBytes: \.get_bytes, .stat: \.stat,
      .exists: \.exists, .list: \.list, .deleteObject: \.delete_object, .localPath: \.local_path, .uriFor: \.uri_for,
    ]
    let builder: [ImageBuilderFunction: PartialKeyPath<gf_image_builder_v1>] = [
      .build: \.build, .buildStatus: \.build_status, .buildLogs: \.build_logs, .exists: \.exists, .push: \.push,
    ]
    Self.expectSlots(run)
    Self.expectSlots(storage)
    Self.expectSlots(builder)
    #expect(ServiceTable.functions(.runBackend) == RunBackendFunction.names)
  }

  static func expectSlots<F: ABIFunctionList, Table>(_ fields: [F: PartialKeyPath<Table>]) {
    #expect(Set(fields.keys) == Set(F.allCases), "every function of the list names a C field")
    for (function, field) in fields {
      #expect(function.slotOffset == MemoryLayout<Table>.offset(of: field), "\(function.rawValue)")
    }
    let slots =
      (MemoryLayout<Table>.size - MemoryLayout<UnsafeRawPointer>.stride) / MemoryLayout<UnsafeRawPointer>.stride
    #expect(slots == F.allCases.count, "\(Table.self) has \(slots) function slots")
  }

  /// Real work through the loaded fixture: objects stored and read back, a job run to its end.
  static func use(_ registry: PluginRegistry) throws {
    let storage = try registry.open(.objectStorage, "abimem")
    let uri = try #require(try storage.call("uri_for", ["key": "growth/object"])["uri"]?.stringValue)
    _ = try storage.putBytes(["uri": .string(uri)], Array("kept across versions".utf8))
    #expect(try storage.getBytes(["uri": .string(uri)]) == Array("kept across versions".utf8))
    #expect(try storage.call("exists", ["uri": .string(uri)])["exists"] == true)

    let backend = try registry.open(.runBackend, "abirun")
    let work = TestEnvironment.temporaryFolder("abi-run") + "/run"
    let handle = try backend.call(
      "launch",
      [
        "run_id": "abi-growth", "command": ["/bin/sh", "-c", "echo grown-$ABI_VAR"], "work_dir": .string(work),
        "env": ["ABI_VAR": "fine"],
      ])
    var state = ""
    for _ in 0..<200 where !["completed", "failed"].contains(state) {
      state = try backend.call("status", ["handle": handle])["state"]?.stringValue ?? ""
      usleep(50_000)
    }
    #expect(state == "completed")
    #expect(try backend.call("logs", ["handle": handle, "offset": 0])["text"]?.stringValue == "grown-fine\n")
  }
}
