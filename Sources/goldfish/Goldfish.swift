import ArgumentParser
import Host
import Logging
import PluginKit

@main
struct Goldfish: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "goldfish",
    abstract: "The research backbone for AI agents doing machine learning.",
    version: GoldfishVersion.current,
    subcommands: [
      InitCommand.self, StatusCommand.self, WorkspaceCommand.self, SourceCommand.self, PipelineCommand.self,
      RunCommand.self, RunsCommand.self, InspectCommand.self, MetricsCommand.self, LogsGroup.self, CancelCommand.self,
      StopCommand.self,
      LineageCommand.self, ThoughtCommand.self, StorageCommand.self, ConfigCommand.self, PluginsCommand.self,
      ServeCommand.self, PoolCommand.self,
      FinalizeCommand.self, RecordsCommand.self, TagCommand.self, UntagCommand.self, VersionsCommand.self,
      DriveCommand.self, PluginHostCommand.self, SVSCommand.self,
      ImagesCommand.self, ThoughtsCommand.self, BackupCommand.self, PatternsCommand.self,
      WebCommand.self, GCECommand.self,
    ])

  static func main() {
    // Before anything can load a plugin: fd 1 is the MCP wire and only Goldfish writes to it.
    StdoutGuard.protect()
    LoggingSystem.bootstrap { label in
      var handler = StreamLogHandler.standardError(label: label)
      handler.logLevel = Logger.Level(rawValue: Environment.value("GOLDFISH_LOG_LEVEL") ?? "") ?? .warning
      return handler
    }
    do {
      var command = try parseAsRoot()
      try command.run()
      // Automatic backups run in the background; a CLI process lets them finish before it exits.
      BackupTrigger.waitForPending()
    } catch {
      BackupTrigger.waitForPending()
      Console.exit(withError: error, command: Self.self)
    }
  }
}
