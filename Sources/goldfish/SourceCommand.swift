import ArgumentParser
import Foundation
import Host
import PluginKit

struct SourceCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "source", abstract: "Register, list, show and delete datasets that stages can read.",
    subcommands: [SourceRegister.self, SourceList.self, SourceShow.self, SourceDelete.self])
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

  func run() throws {
    var metadataValue: JSONValue?
    if let metadata {
      guard let data = FileManager.default.contents(atPath: metadata) else {
        throw GoldfishError(.notFound, "cannot read the metadata file \(metadata)")
      }
      do {
        metadataValue = try JSONCoding.parse(String(decoding: data, as: UTF8.self))
      } catch {
        throw GoldfishError(.invalidArgument, "\(metadata) is not valid JSON: \(error.message)")
      }
    }
    let record = try projectOptions.openProject().sources.register(
      .init(name: name, location: location, description: description, metadata: metadataValue, reason: reason))
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
