import Foundation
import PluginKit
import PluginSupport

/// Turns a clean-stop request left in the run's mailbox folder (`request_stop`) into the stop
/// file the stage's goldfish.io `should_stop()` reads. Looked for every few seconds, not on
/// every poll: each look is a storage request, and a stop asked for is never urgent to the
/// second (cancel is the urgent one).
struct StopWatch {
  let runId: String
  let outputs: String
  static let intervalSeconds = 2.0
  private var nextLook = 0.0
  private var delivered = false

  init(runId: String, outputs: String) {
    self.runId = runId
    self.outputs = outputs
  }

  mutating func deliverIfAsked(store: any MailboxStore, log: RunLog) {
    guard !delivered, Clock.monotonic() >= nextLook else { return }
    nextLook = Clock.monotonic() + Self.intervalSeconds
    guard let key = try? MailboxLayout.stop(run: runId), let bytes = try? store.get(key) else { return }
    let reason = Self.reason(in: bytes)
    let path = StageIO.stopFile(outputsDir: outputs)
    do {
      try POSIXFile.makeDirectories((path as NSString).deletingLastPathComponent)
      try Data((reason + "\n").utf8).write(to: URL(fileURLWithPath: path))
      delivered = true
      log.note("goldfish-agent: run \(runId) was asked to stop (\(reason)); the stage's should_stop() now says so")
    } catch {
      log.note("goldfish-agent: cannot write the stop file \(path): \(error.localizedDescription)")
    }
  }

  static func reason(in bytes: [UInt8]) -> String {
    guard let value = try? JSONCoding.parse(String(decoding: bytes, as: UTF8.self)), case .object(let fields) = value,
      case .string(let reason)? = fields["reason"]
    else { return "stop requested" }
    return reason
  }
}
