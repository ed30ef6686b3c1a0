import ArgumentParser
import Foundation
import Host
import PluginKit

struct SourceCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "source", abstract: "Register, list, show and delete datasets that stages can read.",
    subcommands: [
      SourceRegister.self, SourceList.self, SourceShow.self, SourceDelete.self, SourcePromote.self, SourceLineage.self,
    ])
}

struct SourceRegister: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "register", abstract: "Register a local path or a storage URI as a dataset.")
  @OptionGroup var projectOptions: ProjectOptions
  @Argument(help: "The source name.") var name: String
  @Argument(help: "A local file or folder, or a URI such as gs://bucket/data.") var location: String
  @Option(help: "What the data is.") var description: String
  @Option(help: "A JSON file with the source metadata (schema_version 1).") var metadata: String?
  @Option(help: "Why (recorded in the journal).") var reason: String

  @Option(help: "The data's format (npy, npz, csv, file); must equal metadata.source.format.") var format: String?
  @Option(help: "The data's size; must equal metadata.source.size_bytes.") var sizeBytes: Int64?

  func run() throws {
    let metadataValue = try metadata.map(readMetadataFile)
    let record = try projectOptions.openProject().sources.register(
      .init(
        name: name, location: location, description: description, metadata: metadataValue, reason: reason,
        format: format, sizeBytes: sizeBytes))
    Console.print("Registered \(record.name) → \(record.uri)")
  }
}

struct SourceList: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "list", abstract: "List registered sources.")
  @OptionGroup var projectOptions: ProjectOptions
  @Flag(help: "Print JSON for machines.") var json = false

  func run() throws {
    let sources = try projectOptions.openProject().sources.list()
    if json { return try Console.json(sources.map(SourceView.init)) }
    if sources.isEmpty { Console.print("No sources.") }
    for source in sources { Console.print("\(source.name)  \(source.uri)  \(source.description)") }
  }
}

struct SourceShow: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one source.")
  @OptionGroup var projectOptions: ProjectOptions
  @Argument(help: "The source name.") var name: String

  func run() throws {
    try Console.json(SourceView(try projectOptions.openProject().sources.get(name)))
  }
}

struct SourceDelete: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "delete", abstract: "Unregister a source (its data is not touched).")
  @OptionGroup var projectOptions: ProjectOptions
  @Argument(help: "The source name.") var name: String
  @Option(help: "Why (recorded in the journal).") var reason: String

  func run() throws {
    try projectOptions.openProject().sources.delete(name, reason: reason)
    Console.print("Deleted source \(name)")
  }
}

/// Reads a metadata JSON file named on the command line.
func readMetadataFile(_ path: String) throws -> JSONValue {
  guard let data = FileManager.default.contents(atPath: path) else {
    throw GoldfishError(.notFound, "cannot read the metadata file \(path)")
  }
  do {
    return try JSONCoding.parse(String(decoding: data, as: UTF8.self))
  } catch {
    throw GoldfishError(.invalidArgument, "\(path) is not valid JSON: \(error.message)")
  }
}

struct SourcePromote: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "promote",
    abstract: "Register an output of a run that succeeded as a source, by reference (promote_artifact).")
  @OptionGroup var projectOptions: ProjectOptions
  @Argument(help: "The stage run id (stage-…).") var runID: String
  @Argument(help: "The run's output to promote.") var output: String
  @Argument(help: "The new source's name.") var name: String
  @Option(help: "A JSON file with the source metadata (schema_version 1).") var metadata: String
  @Option(help: "What the data is (default: metadata.description).") var description: String?
  @Option(help: "Must equal metadata.source.format.") var format: String?
  @Option(help: "Must equal metadata.source.size_bytes.") var sizeBytes: Int64?
  @Option(help: "Why (recorded in the journal).") var reason: String
  @Flag(help: "Print JSON for machines.") var json = false

  func run() throws {
    let (record, lineage) = try projectOptions.openProject().sources.promote(
      .init(
        runID: runID, outputName: output, sourceName: name, reason: reason, metadata: try readMetadataFile(metadata),
        description: description, format: format, sizeBytes: sizeBytes))
    if json { return try Console.json(lineage) }
    Console.print("Promoted \(output) of \(runID) as \(record.name) → \(record.uri)")
  }
}

struct SourceLineage: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "lineage", abstract: "The sources and runs a source made from a run's output came from.")
  @OptionGroup var projectOptions: ProjectOptions
  @Argument(help: "The source name.") var name: String

  func run() throws {
    try Console.json(try projectOptions.openProject().sources.lineage(of: name))
  }
}
