import ArgumentParser
import Foundation
import Host
import Web

/// `goldfish web`: the dashboard in a browser, serving every project goldfish has opened.
struct WebCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "web", abstract: "Serve the read-only web dashboard of your projects (docs/web.md).",
    subcommands: [WebServeCommand.self, WebStatusCommand.self, WebStopCommand.self],
    defaultSubcommand: WebServeCommand.self)
}

struct WebServeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "serve", abstract: "Run the web server in the foreground until stopped (Ctrl-C or goldfish web stop).")

  @Option(help: "The TCP port (0: any free port).") var port = 7342
  @Option(help: "The address to bind. Anything but 127.0.0.1, ::1 or localhost requires the token.")
  var host = "127.0.0.1"
  @Flag(help: "Require the token even on 127.0.0.1.") var requireToken = false
  @Flag(help: "Open the dashboard in the default browser once it is up.") var open = false
  @Option(help: "Also show this project (repeatable); projects register themselves when goldfish opens them.")
  var project: [String] = []
  @Flag(help: "Run in the background (log in ~/.goldfish/web/server.log); goldfish web status / stop find it.")
  var detach = false
  @Flag(help: .hidden) var detachedChild = false

  func run() throws {
    if detach { return try startDetached() }
    let options = WebServer.Options(
      host: host, port: port, requireToken: requireToken, projects: project, detached: detachedChild)
    let server = WebServer(options: options)
    let openBrowser = open
    let done = DispatchSemaphore(value: 0)
    nonisolated(unsafe) var failure: (any Error)?
    Task.detached {
      do {
        try await server.run { address in
          Console.print("goldfish web: serving on \(address)")
          if openBrowser { WebBrowser.open(address) }
        }
      } catch {
        failure = error
      }
      done.signal()
    }
    done.wait()
    if let failure { throw failure }
  }
}

extension WebServeCommand {
  /// The same server started in its own session with its output in `server.log`; returns once it
  /// has written server.json (its address), or fails with the log's end when it exits first.
  func startDetached() throws {
    if let running = WebRuntime.running() {
      throw GoldfishError(
        .invalidArgument, "a goldfish web server already runs (pid \(running.pid), \(running.url))",
        hint: "open \(running.url), or stop it with goldfish web stop")
    }
    // A token the server needs is made here, so it is printed once on this terminal and never
    // into the server's log.
    let needsToken = WebServer.Options(host: host, requireToken: requireToken).tokenRequired
    let minted = needsToken ? try WebRuntime.token() : nil
    var arguments = ["web", "serve", "--port", String(port), "--host", host, "--detached-child"]
    if requireToken { arguments.append("--require-token") }
    for root in project { arguments += ["--project", URL(fileURLWithPath: root).standardizedFileURL.path] }
    let log = WebRuntime.logFile
    try? FileManager.default.createDirectory(atPath: WebProjectRegistry.folder, withIntermediateDirectories: true)
    let start = (try? FileManager.default.attributesOfItem(atPath: log)[.size] as? Int) ?? 0
    try DriverLauncher.spawnDetached(arguments, log: log, what: "the web server")
    let deadline = Date().addingTimeInterval(60)
    while Date() < deadline {
      if let running = WebRuntime.running() {
        let shown =
          minted?.created == true
          ? "\(running.url)?token=\(minted?.token ?? "")  (token printed once; it is kept in \(WebRuntime.tokenFile))"
          : running.url + (running.tokenRequired ? "  (requires the token in \(WebRuntime.tokenFile))" : "")
        Console.print("goldfish web: serving on \(shown) in the background (pid \(running.pid), log \(log))")
        if open { WebBrowser.open(running.url) }
        return
      }
      let text = (try? String(contentsOfFile: log, encoding: .utf8)).map { String($0.utf8.dropFirst(start)) ?? "" }
      if let text, text.contains("error") {
        throw GoldfishError(
          .ioFailed,
          "the web server did not start: \(text.suffix(600).trimmingCharacters(in: .whitespacesAndNewlines))",
          hint: "see \(log)")
      }
      usleep(50_000)
    }
    throw GoldfishError(.ioFailed, "the web server did not report its address within 60 s", hint: "see \(log)")
  }
}

struct WebStatusCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "status", abstract: "Whether a web server runs, and where.")

  @Flag(help: "Print JSON for machines.") var json = false

  func run() throws {
    let running = WebRuntime.running()
    if json { return try Console.json(WebStatusView(server: running)) }
    guard let running else { return Console.print("goldfish web is not running") }
    Console.print("goldfish web is running: \(running.url) (pid \(running.pid), since \(running.startedAt))")
    if running.detached == true { Console.print("in the background; its log: \(WebRuntime.logFile)") }
    if running.tokenRequired { Console.print("requests need the token in \(WebRuntime.tokenFile)") }
  }
}

struct WebStopCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "stop", abstract: "Stop the running web server.")

  func run() throws {
    guard let running = WebRuntime.running() else { return Console.print("goldfish web is not running") }
    try WebRuntime.stop(running)
    Console.print("stopped goldfish web (pid \(running.pid))")
  }
}

struct WebStatusView: Encodable {
  var server: WebRuntime.ServerInfo?

  enum CodingKeys: String, CodingKey { case running, server }

  func encode(to encoder: any Encoder) throws {
    var fields = encoder.container(keyedBy: CodingKeys.self)
    try fields.encode(server != nil, forKey: .running)
    try fields.encode(server, forKey: .server)
  }
}

/// Opens a URL with the desktop's opener, if there is one; the address is printed either way.
enum WebBrowser {
  static func open(_ address: String) {
    let url = String(address.prefix(while: { $0 != " " }))
    for opener in ["/usr/bin/xdg-open"] where FileManager.default.isExecutableFile(atPath: opener) {
      let process = Process()
      process.executableURL = URL(fileURLWithPath: opener)
      process.arguments = [url]
      try? process.run()
      return
    }
  }
}
