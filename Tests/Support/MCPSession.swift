import Foundation

/// A `goldfish serve` process driven over its stdin/stdout the way an MCP client drives it:
/// newline-delimited JSON-RPC, all requests written at once.
final class MCPSession: @unchecked Sendable {
  let process = Process()
  private let input = Pipe()
  private let output = Pipe()
  private let errors = Pipe()
  private let lock = NSLock()
  private var lines: [String] = []
  /// Each answer parsed once, as it arrives: re-parsing every line on each poll made a session
  /// with megabyte answers spend minutes in JSONSerialization.
  private var byID: [Int: [String: Any]] = [:]
  private var errorData = Data()
  private let finished = DispatchGroup()

  init(project: String) throws {
    process.executableURL = URL(fileURLWithPath: TestEnvironment.goldfish)
    process.arguments = ["serve", "--project", project]
    var environment = ProcessInfo.processInfo.environment
    environment["HOME"] = NSTemporaryDirectory() + "goldfish-test-home"
    environment["GOLDFISH_PLUGIN_PATH"] = nil
    process.environment = environment
    process.standardInput = input
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    finished.enter()
    DispatchQueue.global().async { [self] in
      var buffer = Data()
      while true {
        let chunk = output.fileHandleForReading.availableData
        if chunk.isEmpty { break }
        // Only the new bytes are searched for a newline: one pass however long a line is.
        var start = buffer.count
        buffer.append(chunk)
        while let newline = buffer[(buffer.startIndex + start)...].firstIndex(of: UInt8(ascii: "\n")) {
          let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
          buffer = Data(buffer[(newline + 1)...])
          start = 0
          let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
          lock.withLock {
            lines.append(line)
            if let object, let id = object["id"] as? Int { byID[id] = object }
          }
        }
      }
      finished.leave()
    }
    finished.enter()
    DispatchQueue.global().async { [self] in
      let data = errors.fileHandleForReading.readDataToEndOfFile()
      lock.withLock { errorData = data }
      finished.leave()
    }
    send([
      "jsonrpc": "2.0", "id": 0, "method": "initialize",
      "params": [
        "protocolVersion": "2025-03-26", "capabilities": [String: Any](),
        "clientInfo": ["name": "reliability", "version": "1"],
      ],
    ])
    send(["jsonrpc": "2.0", "method": "notifications/initialized"])
  }

  func send(_ message: [String: Any]) {
    guard let data = try? JSONSerialization.data(withJSONObject: message) else { return }
    input.fileHandleForWriting.write(data + Data("\n".utf8))
  }

  func sendRaw(_ line: String) {
    input.fileHandleForWriting.write(Data((line + "\n").utf8))
  }

  /// Bytes as they are, no newline added: a long line can be written piece by piece.
  func write(_ bytes: Data) {
    input.fileHandleForWriting.write(bytes)
  }

  func callTool(id: Int, _ name: String, _ arguments: [String: Any]) {
    send(["jsonrpc": "2.0", "id": id, "method": "tools/call", "params": ["name": name, "arguments": arguments]])
  }

  /// The responses received so far, by request id.
  var responses: [Int: [String: Any]] {
    lock.withLock { byID }
  }

  /// The lines the server wrote on stdout so far, as written.
  var rawLines: [String] { lock.withLock { lines } }

  /// Everything the server wrote, both streams, for assertions on what reaches a user.
  var transcript: String {
    lock.withLock { lines.joined(separator: "\n") + "\n" + String(decoding: errorData, as: UTF8.self) }
  }

  func waitForResponses(_ ids: [Int], seconds: TimeInterval) {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline, !Set(ids).isSubset(of: Set(responses.keys)) { usleep(50_000) }
  }

  /// Closes stdin (the client is done) and waits for the server to exit.
  func close() {
    try? input.fileHandleForWriting.close()
    process.waitUntilExit()
    finished.wait()
  }
}
