import ArgumentParser
import Foundation
import GoldfishTesting
import Host
import PluginKit

struct PluginsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "plugins", abstract: "List, inspect and check backend plugins.",
    subcommands: [PluginsList.self, PluginsInspect.self, PluginsCheck.self])
}

struct ProjectOptions: ParsableArguments {
  @Option(name: .long, help: "The project folder (default: the nearest folder with goldfish.yaml).")
  var project: String?

  func location() throws -> ProjectLocation? {
    try ProjectLocation.find(explicit: project)
  }
}

struct PluginsList: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "list", abstract: "Show every plugin file found, its services, and every refused file.")

  @OptionGroup var projectOptions: ProjectOptions
  @Flag(help: "Print JSON for machines.") var json = false
  @Flag(help: "Exit non-zero when any plugin file was refused.") var strict = false
  @Option(name: .customLong("plugin"), help: "Load this plugin file first (repeatable).")
  var extraPlugins: [String] = []

  func run() throws {
    let host = try PluginHost.start(project: try projectOptions.location(), extraPaths: extraPlugins, loadAll: true)
    let registry = host.registry
    if json {
      try Console.json(PluginListing(registry: registry, host: host))
    } else {
      PluginTable.print(registry, host: host)
    }
    if strict && !registry.refused.isEmpty { throw ExitCode(1) }
  }
}

struct PluginsInspect: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "inspect", abstract: "Load one plugin file (no config needed) and describe it.")

  @Argument(help: "The plugin file (.so).") var path: String
  @Flag(help: "Print JSON for machines.") var json = false

  func run() throws {
    let registry = PluginRegistry.load([.init(path: absolute(path), origin: "command line")])
    if json {
      try Console.json(PluginListing(registry: registry, host: nil))
    } else {
      PluginTable.print(registry)
    }
    if !registry.refused.isEmpty { throw ExitCode(1) }
  }
}

struct PluginsCheck: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "check",
    abstract: "Run the conformance suite against the services of one plugin file.")

  @Argument(help: "The plugin file (.so).") var path: String
  @Option(help: "Check only the service with this name.") var service: String?
  @Option(help: "The service's config section as JSON, e.g. '{\"root\": \"/tmp/objects\"}'.")
  var config: String?
  @Option(help: "The image a run backend that needs one runs the suite's jobs in (default: $GOLDFISH_CHECK_IMAGE).")
  var image: String?
  @Option(
    help:
      "Run the plugin in_process (default) or in a helper process, where a crash fails one case instead of ending the check."
  )
  var isolation: IsolationMode = .inProcess
  @Option(help: "Fail a call that takes longer than this many seconds (default: 120; 0: no limit).")
  var callTimeout: Int?
  @Flag(help: "Print JSON for machines: the reports, or {\"error\": …} when the check cannot run.") var json = false

  func run() throws {
    do {
      try check()
    } catch let failure as GoldfishError where json {
      // --json is always JSON: a refused file or a bad --config is an answer a machine can read too.
      try Console.json(
        CheckError(error: .init(code: failure.code.rawValue, message: failure.message, hint: failure.hint)))
      throw ExitCode(2)
    }
  }

  private func check() throws {
    let configValue: JSONValue
    do {
      configValue = try JSONCoding.parse(config ?? "{}")
    } catch {
      throw GoldfishError(
        .invalidArgument, "--config is not valid JSON: \(error.message)",
        hint: "pass a JSON object, e.g. --config '{\"root\": \"/tmp/objects\"}'")
    }
    if json { CheckCrashJSON.install() }
    let timeout = callTimeout.map { $0 <= 0 ? nil : TimeInterval($0) } ?? PluginConformance.defaultCallTimeout
    let reports = try PluginConformance.check(
      pluginAt: absolute(path), config: configValue, service: service, image: image, callTimeout: timeout,
      isolation: isolation, beforeCase: json ? { CheckCrashJSON.prepare($0) } : nil)
    if json {
      try Console.json(reports)
    } else {
      for report in reports { ConformanceTable.print(report) }
    }
    if reports.contains(where: { !$0.passed }) { throw ExitCode(1) }
  }
}

/// What `plugins check --json` prints when the check cannot run at all.
struct CheckError: Encodable {
  struct Detail: Encodable {
    var code: String
    var message: String
    var hint: String?
  }
  var error: Detail
}

func absolute(_ path: String) -> String {
  URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
    .standardizedFileURL.path
}

extension IsolationMode: ExpressibleByArgument {}
