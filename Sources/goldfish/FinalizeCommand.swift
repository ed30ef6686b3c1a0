import ArgumentParser
import Foundation
import Host
import PluginKit

struct FinalizeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "finalize",
    abstract: "Record a run's authoritative result and show how it compares with the previous and the best run.",
    discussion: """
      The results are a JSON object: {primary_metric, direction, value, dataset_split, ml_outcome, notes}, optionally
      unit, step, epoch, secondary and termination. A run waiting for its result becomes completed; finalizing
      again replaces the result.
      """)
  @OptionGroup var projectOptions: ProjectOptions
  @Argument(help: "The run: a stage run id (stage-…), a record id (ULID) or @tag (with --workspace).") var ref: String
  @Option(help: "A file holding the results JSON.") var resultsFile: String?
  @Option(help: "The results JSON itself.") var results: String?
  @Option(help: "The workspace, when the run is given as @tag.") var workspace: String?
  @Flag(help: "Print JSON for machines.") var json = false

  func run() throws {
    let payload = try RecordsCLI.jsonArgument(text: results, file: resultsFile, name: "results")
    let outcome = try projectOptions.openProject().records.finalize(
      ref, results: payload, by: "cli", workspace: workspace)
    if json { return try Console.json(outcome) }
    Console.print("Finalized \(outcome.stageRunID) (record \(outcome.recordID)); the run is \(outcome.state.rawValue).")
    let comparison = outcome.comparison
    if let previous = comparison.vsPrevious {
      Console.print("  vs previous \(previous.stageRunID ?? previous.record): \(RecordsCLI.delta(previous.delta))")
    } else {
      Console.print("  no earlier finalized run of this stage")
    }
    if let best = comparison.vsBest {
      Console.print("  vs best \(best.tag.map { "@\($0)" } ?? best.record): \(RecordsCLI.delta(best.delta))")
    }
    if let diff = comparison.configDiff, !diff.isEmpty {
      for (key, change) in diff.changed.sorted(by: { $0.key < $1.key }) {
        Console.print("  config \(key): \(RecordsCLI.text(change.from)) → \(RecordsCLI.text(change.to))")
      }
      for key in diff.added.keys.sorted() { Console.print("  config \(key): added") }
      for key in diff.removed.keys.sorted() { Console.print("  config \(key): removed") }
    }
  }
}

/// Argument helpers the records commands share.
enum RecordsCLI {
  /// A JSON object given inline or in a file (exactly one of them).
  static func jsonArgument(text: String?, file: String?, name: String) throws -> JSONValue {
    let source: String
    switch (text, file) {
    case (let text?, nil): source = text
    case (nil, let file?):
      guard let data = FileManager.default.contents(atPath: file) else {
        throw GoldfishError(.notFound, "cannot read the \(name) file \(file)")
      }
      source = String(decoding: data, as: UTF8.self)
    default:
      throw GoldfishError(
        .invalidArgument, "give the \(name) either inline (--\(name) JSON) or in a file (--\(name)-file F), once")
    }
    do {
      return try JSONCoding.parse(source)
    } catch {
      throw GoldfishError(.invalidArgument, "the \(name) are not valid JSON: \(error.message)")
    }
  }

  static func delta(_ value: Double?) -> String {
    guard let value else { return "not comparable (another metric)" }
    return value >= 0 ? "+\(value)" : "\(value)"
  }

  static func text(_ value: JSONValue) -> String {
    (try? JSONCoding.encode(value)) ?? "?"
  }
}
