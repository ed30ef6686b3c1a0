import ArgumentParser
import Foundation
import GoldfishMCP
import Host

/// `goldfish serve`: the MCP server on stdio, for agents. The project is opened per tool call,
/// so a missing project is reported by each tool rather than stopping the server.
struct ServeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "serve", abstract: "Serve the project to an AI agent over MCP (stdio).")

  @Option(name: .long, help: "The project folder (default: the nearest folder with goldfish.yaml).")
  var project: String?

  func run() throws {
    // Goldfish.main already moved fd 1 to stderr; this returns the private copy of the real stdout.
    let stdout = StdoutGuard.protect()
    let project = self.project
    let start = FileManager.default.currentDirectoryPath
    let done = DispatchSemaphore(value: 0)
    nonisolated(unsafe) var failure: Error?
    Task.detached {
      do {
        try await MCPServer.serve(project: project, startDirectory: start, stdout: stdout)
      } catch {
        failure = error
      }
      done.signal()
    }
    done.wait()
    if let failure {
      throw GoldfishError(.ioFailed, "the MCP server stopped: \(failure)")
    }
  }
}
