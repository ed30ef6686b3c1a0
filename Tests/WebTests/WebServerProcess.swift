import Foundation

@testable import GoldfishTestSupport

/// A real `goldfish web` process with its own $HOME, and requests to it through curl: what a
/// browser or a script sees, over a real socket on the loopback.
final class WebServerProcess {
  let home: String
  let process: Process
  let host: String
  let port: Int
  let output: Pipe

  /// Starts `goldfish web --port 0 …` and waits until it wrote server.json (bounded by the
  /// process: a server that exits first fails the start).
  init(
    home: String = TestEnvironment.temporaryFolder("web-home"), host: String = "127.0.0.1", arguments: [String]
  ) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: TestEnvironment.goldfish)
    process.arguments = ["web", "--port", "0", "--host", host] + arguments
    var environment = ProcessInfo.processInfo.environment
    environment["HOME"] = home
    environment["GOLDFISH_PLUGIN_PATH"] = nil
    process.environment = environment
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    try process.run()
    let serverFile = home + "/.goldfish/web/server.json"
    var port: Int?
    while port == nil {
      guard process.isRunning else {
        let text = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        throw GoldfishTestFailure("goldfish web exited before serving: \(text)")
      }
      if let data = FileManager.default.contents(atPath: serverFile),
        let info = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
      {
        port = info["port"] as? Int
      } else {
        usleep(50_000)
      }
    }
    self.home = home
    self.host = host
    self.process = process
    self.output = output
    self.port = port ?? 0
  }

  var base: String { "http://\(host):\(port)" }

  struct Reply {
    var status: Int
    var headers: String
    var body: String

    func json() throws -> Any { try JSONSerialization.jsonObject(with: Data(body.utf8)) }
  }

  /// One request with curl; `extra` are more curl arguments (headers, method).
  func get(_ path: String, _ extra: [String] = []) -> Reply {
    let result = Command.run(
      ["/usr/bin/curl", "-sS", "-D", "-", "--max-time", "30"] + extra + [base + path], environment: nil)
    let parts = result.stdout.components(separatedBy: "\r\n\r\n")
    let headers = parts.first ?? ""
    let status = Int(headers.split(separator: " ").dropFirst().first ?? "") ?? 0
    return Reply(status: status, headers: headers, body: parts.dropFirst().joined(separator: "\r\n\r\n"))
  }

  func stop() {
    if process.isRunning { process.terminate() }
    process.waitUntilExit()
  }

  deinit { stop() }
}

struct GoldfishTestFailure: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}
