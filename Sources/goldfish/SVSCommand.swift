import ArgumentParser
import Foundation
import Host
import PluginKit

struct SVSCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "svs",
    abstract:
      "What SVS found about a run: its reviews and their findings, matched failure patterns, output statistics.",
    discussion: "The same as MCP get_run_svs_findings; --json prints its answer.")
  @OptionGroup var projectOptions: ProjectOptions
  @Argument(help: "A stage run id (stage-…).") var runID: String
  @Flag(help: "Print JSON for machines.") var json = false

  func run() throws {
    let view = try RunSVSFindingsView(store: projectOptions.openProject().store, stageRunID: runID)
    if json { return try Console.json(view) }
    if view.reviews.isEmpty { Console.print("\(runID): nothing reviewed this run (no output declares a contract)") }
    for review in view.reviews {
      Console.print("\(review.kind.rawValue) by \(review.reviewer): \(review.decision.rawValue)")
      for finding in review.findings {
        Console.print("  \(finding.severity.rawValue) [\(finding.check)] \(finding.message)")
      }
    }
    for pattern in view.failurePatterns {
      Console.print("matched pattern \(pattern.id) (\(pattern.severity), \(pattern.status)): \(pattern.symptom)")
    }
    for (output, stats) in view.outputStats.sorted(by: { $0.key < $1.key }) {
      Console.print("stats \(output): \((try? JSONCoding.encode(stats)) ?? "")")
    }
  }
}
