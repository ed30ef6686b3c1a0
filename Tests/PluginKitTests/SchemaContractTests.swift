import Foundation
import PluginKit
import PluginSupport
import Testing

@testable import GoldfishTestSupport

/// docs/schemas is the warm-pool and run-spec contract for backends not written in Swift. These
/// tests hold the schemas and the types Goldfish encodes and decodes to the same fields, types
/// and required keys, so neither can change without the other.
@Suite("JSON Schemas of the plugin wire (docs/schemas)")
struct SchemaContractTests {
  struct Contract: CustomTestStringConvertible, Sendable {
    var file: String
    var full: JSONValue
    var decode: @Sendable (JSONValue) throws -> Void
    var testDescription: String { file }

    init<T: Codable>(_ file: String, _ full: T) {
      self.file = file
      self.full = (try? JSONCoding.value(of: full)) ?? .null
      self.decode = { value in _ = try JSONCoding.convert(value, to: T.self) }
    }

    func schema() throws -> JSONValue {
      let path = TestEnvironment.packageRoot + "/docs/schemas/" + file
      return try JSONCoding.parse(try String(contentsOfFile: path, encoding: .utf8))
    }
  }

  static let at = "2026-12-03T10:00:00Z"
  static let contracts: [Contract] = [
    Contract(
      "run-spec.schema.json",
      RunSpec(
        runId: "stage-7f3a9c21", command: ["python3", "-m", "goldfish.io.bootstrap", "modules.train"],
        workDir: "/p/.goldfish/runs/stage-7f3a9c21", env: ["GOLDFISH_RUN_ID": "stage-7f3a9c21"], codeDir: "/p/code",
        inputs: [RunInput(name: "features", type: "npy", uri: "file:///s/features.npy", localPath: "/p/in/features")],
        outputsDir: "/p/.goldfish/runs/stage-7f3a9c21/outputs", image: "goldfish/stage:abc",
        profile: ResourceProfile(
          name: "h100", cpus: 2, memoryMb: 4096, pids: 512, network: false, gpu: GPURequest(type: "h100", count: 1),
          spot: true, machineType: "a3-highgpu-1g", definition: ["zones": ["us-central1-a"]]),
        timeoutSeconds: 3600, labels: ["goldfish-project": "demo", "goldfish-run": "stage-7f3a9c21"],
        workspace: "baseline", version: "v3", stage: "train",
        worker: WorkerOptions(
          keepWarm: true, idleTimeoutSeconds: 1800, lifetimeSeconds: 86400, preservePaths: ["inputs/cache"],
          workerId: "w-1"))),
    Contract(
      "agent-job.schema.json",
      AgentJob(
        runId: "stage-7f3a9c21", command: ["python3", "stage.py"], env: ["A_B": "1"], image: "goldfish/stage:abc",
        code: "/p/code", workDir: "/p/work", inputs: [AgentInput(name: "features", source: "gs://b/x", link: true)],
        outputsDir: "/p/work/outputs", timeoutSeconds: 60, preservePaths: ["outputs/checkpoints"])),
    Contract(
      "agent-status.schema.json",
      AgentWorkerStatus(
        workerId: "w-1", state: .busy, runId: "stage-7f3a9c21", agentPid: 42, agentStartTime: 123456, bootId: "b",
        jobsDone: 3, heartbeatAt: at, startedAt: at)),
    Contract("agent-claim.schema.json", AgentClaim(runId: "stage-7f3a9c21", workerId: "w-1", bootId: "b", at: at)),
    Contract(
      "agent-exit.schema.json",
      AgentExit(
        runId: "stage-7f3a9c21", exitCode: 143, terminationCause: .timeout, message: "timed out", startedAt: at,
        finishedAt: at, workerId: "w-1")),
    Contract("agent-cancel.schema.json", AgentCancel(runId: "stage-7f3a9c21", reason: "user", at: at)),
  ]

  @Test("what Goldfish writes conforms to the schema, and fills every field the schema names", arguments: contracts)
  func encodingMatchesSchema(_ contract: Contract) throws {
    let schema = try contract.schema()
    #expect(SchemaCheck.problems(contract.full, schema) == [])
    #expect(Self.unfilled(contract.full, schema) == [], "schema fields Goldfish's type never writes")
  }

  @Test("a field is required by the schema exactly when Goldfish cannot read the JSON without it", arguments: contracts)
  func requiredFieldsMatch(_ contract: Contract) throws {
    let schema = try contract.schema()
    let fields = try #require(contract.full.objectValue)
    let required = Set(schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [])
    #expect(!required.isEmpty)
    for name in fields.keys.sorted() {
      var without = fields
      without[name] = nil
      let readable = (try? contract.decode(.object(without))) != nil
      #expect(
        readable == !required.contains(name), "\(name): required \(required.contains(name)), readable \(readable)")
    }
    try contract.decode(.object(fields.filter { required.contains($0.key) }))
  }

  @Test("the checker itself refuses an unknown field, a wrong type and a missing required field")
  func checkerCanFail() throws {
    for contract in Self.contracts {
      let schema = try contract.schema()
      var fields = try #require(contract.full.objectValue)
      fields["not_in_the_schema"] = "x"
      #expect(!SchemaCheck.problems(.object(fields), schema).isEmpty)
      fields["not_in_the_schema"] = nil
      let required = try #require(schema["required"]?.arrayValue?.first?.stringValue)
      fields[required] = .array([])
      #expect(!SchemaCheck.problems(.object(fields), schema).isEmpty, "\(contract.file): \(required) as an array")
      fields[required] = nil
      #expect(!SchemaCheck.problems(.object(fields), schema).isEmpty, "\(contract.file): \(required) missing")
    }
  }

  /// Schema properties (nested ones too) that the value does not carry.
  static func unfilled(_ value: JSONValue, _ schema: JSONValue, at path: String = "$") -> [String] {
    var missing: [String] = []
    if let properties = schema["properties"]?.objectValue {
      let fields = value.objectValue ?? [:]
      for (name, fieldSchema) in properties.sorted(by: { $0.key < $1.key }) {
        guard let field = fields[name], field != .null else {
          missing.append("\(path).\(name)")
          continue
        }
        missing += unfilled(field, fieldSchema, at: "\(path).\(name)")
      }
    }
    if let items = schema["items"], let first = value.arrayValue?.first {
      missing += unfilled(first, items, at: "\(path)[0]")
    }
    return missing
  }
}
