import ArgumentParser
import Foundation
import Host
import PluginKit

struct ConfigCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "config", abstract: "Check goldfish.yaml and show the config Goldfish uses.",
    subcommands: [ConfigValidate.self, ConfigShow.self])
}

/// The project's goldfish.yaml, checked against the plugins it loads: a top-level section named
/// after a service is only valid when a loaded plugin registers that service.
enum ConfigLoading {
  static func check(_ options: ProjectOptions) throws -> ConfigCheck {
    guard let location = try options.location() else {
      throw GoldfishError(
        .configNotFound, "no goldfish.yaml in this folder or its parents",
        hint: "run `goldfish init NAME` to create a project, or pass --project to point at one")
    }
    let document = try ConfigDocument.load(location.configPath)
    // A broken plugins: section stops the plugins from loading; the check still runs (and
    // reports that section) rather than stopping at it. Each plugin checks its own section.
    return ConfigCheck.run(document, plugins: try? PluginHost.start(project: location))
  }
}

struct ConfigValidate: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "validate", abstract: "Check goldfish.yaml and list every problem with its line.")

  @OptionGroup var projectOptions: ProjectOptions
  @Flag(help: "Print JSON for machines.") var json = false

  func run() throws {
    let check = try ConfigLoading.check(projectOptions)
    if json {
      try Console.json(ValidationOutput(check))
    } else {
      for note in check.notes { Console.print("warning: \(note)") }
      if check.isValid {
        Console.print("goldfish.yaml is valid")
      } else {
        Console.error("goldfish.yaml has \(check.problems.count) problem\(check.problems.count == 1 ? "" : "s"):")
        for problem in check.problems {
          Console.error("  \(problem.message)")
          if let hint = problem.hint { Console.error("    hint: \(hint)") }
          if let source = problem.source { Console.error("    reported by: \(source)") }
        }
      }
    }
    if !check.isValid { throw ExitCode(2) }
  }
}

struct ConfigShow: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "show", abstract: "Print the effective config: goldfish.yaml with every default filled in.")

  @OptionGroup var projectOptions: ProjectOptions
  @Flag(help: "Print JSON for machines.") var json = false
  @Flag(help: "Print the resolved compute profiles (built-ins with gce.profile_overrides) instead.")
  var profiles = false

  func run() throws {
    try show(try ConfigLoading.check(projectOptions))
  }

  private func show(_ check: ConfigCheck) throws {
    guard let config = check.config else {
      let first = check.problems.first
      throw GoldfishError(
        .configInvalid, first?.message ?? "goldfish.yaml is not valid",
        hint: (first?.hint.map { "\($0)\n" } ?? "") + "`goldfish config validate` lists every problem")
    }
    for note in check.notes { Console.error("warning: \(note)") }
    switch (json, profiles) {
    case (true, false): try Console.json(config.effectiveJSON(pluginSections: check.pluginSections))
    case (true, true): try Console.json(config.profiles.json)
    case (false, false): StdoutGuard.write(config.effectiveYAML(pluginSections: check.pluginSections))
    case (false, true): StdoutGuard.write(config.profiles.yaml)
    }
  }
}

/// `config validate --json`.
struct ValidationOutput: Encodable {
  var valid: Bool
  var errors: [ConfigCheck.Problem]
  var notes: [Note]

  struct Note: Encodable {
    var key: String
    var line: Int?
    var message: String
  }

  init(_ check: ConfigCheck) {
    valid = check.isValid
    errors = check.problems
    notes = check.notes.map { Note(key: $0.key, line: $0.line, message: $0.message) }
  }
}
