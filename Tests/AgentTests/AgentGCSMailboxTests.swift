import Foundation
import PluginKit
import PluginSupport
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// goldfish-agent over a gs:// mailbox on the storage emulator: the store a VM's agent uses.
@Suite("goldfish-agent over a gs:// mailbox", .enabled(if: GCSSupport.available), .serialized)
struct AgentGCSMailboxTests {
  @Test("§5.7 #2 #6 #40: two jobs through Cloud Storage, each run's log and exit under its own runs/<id>/")
  func twoJobsThroughGCS() throws {
    let prefix = "agent-" + UUID().uuidString.prefix(8).lowercased()
    let storage = try GCSSupport.open(["prefix": .string(prefix)])
    let agent = try AgentHarness("gcs")
    agent.config.mailbox = "gs://\(GCSSupport.bucket)/\(prefix)"
    agent.config.mailboxOptions = [
      "endpoint": .string("http://127.0.0.1:\(GCSSupport.emulatorPort)"), "retry_base_ms": 10,
    ]
    agent.config.pollIntervalMs = 200
    try agent.start()

    func put(_ key: String, _ value: some Encodable) throws {
      _ = try storage.putBytes(
        ["uri": .string(try GCSSupport.uri(storage, key))], Array(try JSONCoding.encode(value).utf8))
    }
    func get(_ key: String) -> String? {
      guard let uri = try? GCSSupport.uri(storage, key), let bytes = try? storage.getBytes(["uri": .string(uri)]) else {
        return nil
      }
      return String(decoding: bytes, as: UTF8.self)
    }
    func waitExit(_ runId: String) throws -> AgentExit {
      let deadline = Date().addingTimeInterval(60)
      while Date() < deadline {
        if let text = get(try MailboxLayout.exit(run: runId)) {
          return try JSONCoding.decode(AgentExit.self, from: text)
        }
        usleep(100_000)
      }
      throw PluginError(.timeout, "no exit record for \(runId)")
    }

    let worker = agent.config.workerId
    try put(
      try MailboxLayout.job(worker: worker, run: "gcs-a"),
      AgentHarness.shell("gcs-a", "echo a; echo out > \"$GOLDFISH_OUTPUTS_DIR/a.txt\""))
    let first = try waitExit("gcs-a")
    try put(try MailboxLayout.job(worker: worker, run: "gcs-b"), AgentHarness.shell("gcs-b", "echo b; exit 2"))
    let second = try waitExit("gcs-b")
    #expect(first.exitCode == 0 && second.exitCode == 2)
    #expect(get("runs/gcs-a/logs/output.log") == "a\n")
    #expect(get("runs/gcs-b/logs/output.log") == "b\n")
    #expect(get("runs/gcs-a/outputs/a.txt") == "out\n")
    #expect(get("runs/gcs-b/outputs/a.txt") == nil)
    let status = try #require(get(try MailboxLayout.status(worker: worker)))
    #expect(try JSONCoding.decode(AgentWorkerStatus.self, from: status).jobsDone == 2)
    #expect(agent.isRunning)
  }
}
