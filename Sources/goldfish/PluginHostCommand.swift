import ArgumentParser
import Host

/// `goldfish plugin-host`: the helper process that runs one isolated plugin
/// (`plugins.isolation: process`). Goldfish starts it itself; people never do.
struct PluginHostCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "plugin-host", abstract: "Serve one isolated plugin over a socket (started by goldfish).",
    shouldDisplay: false)

  @Option(help: "The descriptor of the socket goldfish talks over.") var channelFd: Int32

  func run() throws {
    let status = PluginHelperServer.run(channelFD: channelFd)
    if status != 0 { throw ExitCode(status) }
  }
}
