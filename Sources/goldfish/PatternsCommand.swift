import ArgumentParser
import Foundation
import Host
import PluginKit

/// `goldfish patterns`: the CLI face of manage_patterns.
struct PatternsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "patterns", abstract: "Failure patterns: list, show, propose, approve or reject them.",
    subcommands: [List.self, Show.self, Propose.self, Approve.self, Reject.self])

  struct List: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List failure patterns, newest first.")
    @OptionGroup var projectOptions: ProjectOptions
    @Option(help: "Only pending, approved or rejected ones.") var status: String?
    @Flag(help: "Print JSON for machines.") var json = false

    func run() throws {
      let filter = try status.map { text throws(GoldfishError) in
        guard let status = FailurePattern.Status(rawValue: text) else {
          throw GoldfishError(.invalidArgument, "--status must be pending, approved or rejected")
        }
        return status
      }
      let patterns = try projectOptions.openProject().store.patterns(status: filter)
      if json { return try Console.json(patterns) }
      if patterns.isEmpty { return Console.print("No failure patterns") }
      for pattern in patterns {
        Console.print("\(pattern.id)  \(pattern.status.rawValue)  \(pattern.severity.rawValue)  \(pattern.symptom)")
      }
    }
  }

  struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "One pattern and the runs it matched.")
    @OptionGroup var projectOptions: ProjectOptions
    @Argument(help: "The pattern id (pat-…).") var id: String

    func run() throws {
      let store = try projectOptions.openProject().store
      guard let pattern = try store.pattern(id) else {
        throw GoldfishError(.notFound, "no failure pattern \(id)", hint: "goldfish patterns list")
      }
      try Console.json(
        [
          "pattern": try JSONCoding.value(of: pattern),
          "matches": try JSONCoding.value(of: store.patternMatches(pattern: id)),
        ] as JSONValue)
    }
  }

  struct Propose: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Propose a pattern from a failed run; its rule must match that run.")
    @OptionGroup var projectOptions: ProjectOptions
    @Argument(help: "The failed run (stage-…).") var runID: String
    @Option(help: "The rule as JSON, e.g. '{\"kind\": \"log_regex\", \"pattern\": \"out of memory\"}'.") var rule:
      String
    @Option(help: "What the failure looks like.") var symptom: String
    @Option(name: .customLong("root-cause"), help: "Why it happens.") var rootCause: String
    @Option(help: "How to avoid it.") var prevention: String?
    @Option(help: "CRITICAL, HIGH, MEDIUM (default) or LOW.") var severity = "MEDIUM"

    func run() throws {
      let value: JSONValue
      do {
        value = try JSONCoding.parse(rule)
      } catch {
        throw GoldfishError(.invalidArgument, "--rule is not JSON: \(error.message)")
      }
      let (pattern, evidence) = try FailurePatterns(store: try projectOptions.openProject().store).propose(
        .init(
          symptom: symptom, rootCause: rootCause, rule: value, prevention: prevention, severity: severity,
          sourceRunID: runID))
      Console.print("Proposed \(pattern.id) (pending); it matches \(runID): \(evidence)")
    }
  }

  struct Approve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Approve a pattern: it is checked on every failed run.")
    @OptionGroup var projectOptions: ProjectOptions
    @Argument(help: "The pattern id.") var id: String

    func run() throws {
      let pattern = try FailurePatterns(store: try projectOptions.openProject().store).approve(id, by: "cli")
      Console.print("Approved \(pattern.id)")
    }
  }

  struct Reject: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Reject a pattern, saying why.")
    @OptionGroup var projectOptions: ProjectOptions
    @Argument(help: "The pattern id.") var id: String
    @Option(help: "Why (at least 10 characters).") var reason: String

    func run() throws {
      let pattern = try FailurePatterns(store: try projectOptions.openProject().store).reject(id, reason: reason)
      Console.print("Rejected \(pattern.id)")
    }
  }
}
