import Foundation
import PluginKit
import PluginSupport
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// The host's typed clients against the real plugins, opened by the real loader: every request
/// is a PluginKit payload the plugin side decodes, every answer is read as one.
@Suite("typed host clients")
struct TypedClientTests {
  @Test("the file storage answers every function through ObjectStorageClient")
  func fileStorage() throws {
    let fixture = try SamplePipeline.project()
    let storage = try ExecutionServices.open(fixture.project).storageClient
    #expect(storage.capabilities.local && storage.capabilities.hash == "sha256")
    #expect(storage.capabilities.schemes == ["file"])

    let uri = try storage.uriFor(key: "runs/stage-client/outputs/x.txt")
    #expect(uri.hasPrefix("file:///") && uri.hasSuffix("/runs/stage-client/outputs/x.txt"))
    let folder = TestEnvironment.temporaryFolder("client-files")
    let bytes = Array("typed on both sides\n".utf8)
    try Data(bytes).write(to: URL(fileURLWithPath: folder + "/in.txt"))

    let stored = try storage.putFile(uri: uri, path: folder + "/in.txt")
    #expect(stored.size == Int64(bytes.count))
    #expect(stored.hash["sha256"] == SHA256Hasher.hex(of: bytes))
    let stat = try storage.stat(uri: uri)
    #expect(stat.size == stored.size && stat.hash["sha256"] == stored.hash["sha256"])
    #expect(try storage.exists(ObjectURIRequest(uri: uri)).exists)
    #expect(try storage.getFile(uri: uri, path: folder + "/out.txt").size == Int64(bytes.count))
    #expect(FileManager.default.contents(atPath: folder + "/out.txt") == Data(bytes))
    #expect(FileManager.default.contents(atPath: try storage.localPath(uri: uri)) == Data(bytes))

    let small = try storage.uriFor(key: "runs/stage-client/outputs/y.bin")
    #expect(try storage.putBytes(PutBytesRequest(uri: small), [1, 2, 3]).size == 3)
    #expect(try storage.getBytes(GetBytesRequest(uri: small)) == [1, 2, 3])

    let prefix = String(uri.dropLast("x.txt".count))
    let first = try storage.list(ListObjectsRequest(prefix: prefix, pageSize: 1))
    #expect(first.objects.map(\.uri) == [uri])
    let second = try storage.list(ListObjectsRequest(prefix: prefix, pageToken: first.nextPageToken, pageSize: 1))
    #expect(second.objects.map(\.uri) == [small] && second.nextPageToken == nil)

    #expect(try storage.delete(ObjectURIRequest(uri: uri)).deleted)
    #expect(try storage.delete(ObjectURIRequest(uri: uri)).deleted == false)
    #expect(try storage.exists(ObjectURIRequest(uri: uri)).exists == false)
  }

  @Test("the process backend launches, reports, recovers, lists and cleans up through RunBackendClient")
  func processBackend() throws {
    let fixture = try SamplePipeline.project()
    let backend = try ExecutionServices.open(fixture.project).backendClient
    let declared = backend.capabilities
    #expect(declared.gpu == false && declared.spot == false && declared.networkPolicy && declared.warmReuse)
    #expect(declared.resourceLimits.isEmpty && declared.recover && declared.needsImage == false)

    let workDir = TestEnvironment.temporaryFolder("client-run") + "/stage-client1"
    try FileManager.default.createDirectory(atPath: workDir, withIntermediateDirectories: true)
    let label = "client-" + UUID().uuidString.prefix(8).lowercased()
    let handle = try backend.launch(
      RunSpec(
        runId: "stage-client1", command: ["/bin/sh", "-c", "echo typed hello"], workDir: workDir,
        timeoutSeconds: 60, labels: ["goldfish-run": label]))
    #expect(handle["run_id"]?.stringValue == "stage-client1" && handle["backend"]?.stringValue == "process")

    var status = try backend.status(handle: handle)
    #expect(
      try FaultRunProject.eventually(60) {
        status = try backend.status(handle: handle)
        return status.state.isFinal
      })
    #expect(status.state == .completed && status.exitCode == 0, "\(status)")
    let log = try backend.logs(RunLogsRequest(handle: handle, offset: 0))
    #expect(log.text.contains("typed hello") && log.complete)
    #expect(try backend.logs(RunLogsRequest(handle: handle, tail: 1)).text.contains("typed hello"))

    let recovered = try backend.recover(handle: handle)
    #expect(recovered.status.state == .completed && recovered.handle["run_id"] == handle["run_id"])
    let listed = try backend.listRuns(LabelsRequest(labels: ["goldfish-run": label])).runs
    #expect(listed.map { $0.handle["run_id"]?.stringValue } == ["stage-client1"])
    #expect(try backend.listWorkers(LabelsRequest(labels: ["goldfish-run": label])).workers.isEmpty)
    try backend.cancel(handle: handle, reason: "user")
    try backend.cleanup(handle: handle)
    #expect(try backend.listRuns(LabelsRequest(labels: ["goldfish-run": label])).runs.isEmpty)
  }

  @Test("an answer of the wrong shape is invalid_response naming the plugin, service and function")
  func wrongShape() throws {
    let registry = PluginRegistry.load([.init(path: FaultRunProject.pluginPath, origin: "test")])
    let backend = RunBackendClient(
      try registry.open(.runBackend, "faultrun", config: ["status_fault": "wrong_types"], isolation: .inProcess))
    do {
      _ = try backend.status(handle: ["run_id": "stage-x", "backend": "faultrun"])
      Issue.record("a wrongly typed status was accepted")
    } catch {
      #expect(error.fault == .invalidResponse)
      #expect(error.plugin == "fault-run" && error.service == "faultrun" && error.function == "status")
      #expect(error.error.message.contains("wrong shape"), "\(error.error.message)")
    }
  }
}
