import Foundation
import Host

/// A long-lived MCP server looks for runs whose driver died not only when it starts but again
/// on tool calls, at most every few seconds: an agent that only talks to the server must not
/// see a run stay `running` forever because its driver was killed after the server started.
final class ResumeSweep: @unchecked Sendable {
  static let shared = ResumeSweep()
  static let interval: TimeInterval = 5

  private let lock = NSLock()
  private var last = Date.distantPast

  /// Starts a sweep in the background when the last one is older than `interval`.
  func maybeResume(_ context: ServerContext) {
    let due = lock.withLock {
      guard Date().timeIntervalSince(last) >= Self.interval else { return false }
      last = Date()
      return true
    }
    if due { MCPServer.resumeInterruptedRuns(context) }
  }

  func markRun() { lock.withLock { last = Date() } }
}
