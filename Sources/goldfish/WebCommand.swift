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

  func run() throws {
    let options = WebServer.Options(host: host, port: port, requireToken: requireToken, projects: project)
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

struct WebStatusCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "status", abstract: "Whether a web server runs, and where.")

  @Flag(help: "Print JSON for machines.") var json = false

  func run() throws {
    let running = WebRuntime.running()
    if json { return try Console.json(WebStatusView(server: running)) }
    guard let running else { return Console.print("goldfish web is not running") }
    Console.print("goldfish web is running: \(running.url) (pid \(running.pid), since \(running.startedAt))")
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
