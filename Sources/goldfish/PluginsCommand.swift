import ArgumentParser
import Foundation
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
    let host = try PluginHost.start(project: try projectOptions.location(), extraPaths: extraPlugins)
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
  @Option(help: "Fail a call that takes longer than this many seconds (default: no limit).")
  var callTimeout: Int?
  @Flag(help: "Print JSON for machines.") var json = false

  func run() throws {
    let registry = PluginRegistry.load([.init(path: absolute(path), origin: "command line")])
    if let refusal = registry.refused.first {
      throw GoldfishError(.pluginRefused, refusal.description)
    }
    let configValue: JSONValue
    do {
      configValue = try JSONCoding.parse(config ?? "{}")
    } catch {
      throw GoldfishError(
        .invalidArgument, "--config is not valid JSON: \(error.message)",
        hint: "pass a JSON object, e.g. --config '{\"root\": \"/tmp/objects\"}'")
    }
    let services = registry.plugins.flatMap { $0.services }.filter { service == nil || $0.name == service }
    guard !services.isEmpty else {
      throw GoldfishError(
        .serviceNotFound, "\(path) registers no service named \(service ?? "")",
        hint: "it registers: \(registry.plugins.flatMap { $0.services }.map { $0.name }.joined(separator: ", "))")
    }
    var reports: [ConformanceReport] = []
    for info in services {
      let kind = ServiceKind(label: info.kind)!
      let scratch = try Conformance.makeScratch()
      let context = ServiceContext(stateDir: scratch + "/state", hostVersion: GoldfishVersion.current)
      let opened = try registry.open(
        kind, info.name, config: configValue, context: context,
        callTimeout: callTimeout.map { TimeInterval(max(1, $0)) },
        isolation: isolation)
      var report = Conformance.check(opened, scratch: scratch, image: image)
      report.cases.insert(try capabilityCase(info), at: 0)
      reports.append(report)
    }
    if json {
      try Console.json(reports)
    } else {
      for report in reports { ConformanceTable.print(report) }
    }
    if reports.contains(where: { !$0.passed }) { throw ExitCode(1) }
  }
}

/// The declared capabilities checked against their schema, as the report's first case. Built from
/// the case's JSON form, the report's public contract.
private func capabilityCase(_ service: ServiceInfo) throws -> ConformanceReport.Case {
  let findings = service.checkCapabilities
  let fields: JSONValue = [
    "name": "capabilities", "outcome": findings.isEmpty ? "passed" : "failed",
    "message": .string(
      findings.isEmpty ? "every declared key is known and well typed" : findings.joined(separator: "; ")),
  ]
  return try JSONCoding.convert(fields, to: ConformanceReport.Case.self)
}

func absolute(_ path: String) -> String {
  URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
    .standardizedFileURL.path
}

extension IsolationMode: ExpressibleByArgument {}
