import ArgumentParser
import Foundation
import Host
import PluginKit

struct StorageCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "storage",
    abstract: "Put, get, stat and list objects in the project's object storage (storage.backend).",
    subcommands: [StoragePut.self, StorageGet.self, StorageStat.self, StorageList.self])
}

/// The storage goldfish.yaml selects, and how a key becomes its URI.
struct SelectedStorage {
  let client: ObjectStorageClient

  init(_ options: ProjectOptions) throws {
    client = ObjectStorageClient(try options.openProject().plugins.openSelected(.objectStorage))
  }

  func uri(_ key: String) throws -> String {
    try client.uriFor(key: key)
  }
}

struct StoragePut: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "put", abstract: "Store a local file under KEY.")
  @OptionGroup var projectOptions: ProjectOptions
  @Argument(help: "The local file.") var file: String
  @Argument(help: "The key, e.g. datasets/points.csv.") var key: String

  func run() throws {
    let storage = try SelectedStorage(projectOptions)
    let uri = try storage.uri(key)
    let info = try storage.client.putFile(uri: uri, path: absolute(file))
    Console.print("\(uri) \(info.size) bytes")
  }
}

struct StorageGet: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "get", abstract: "Copy the object under KEY to a local file.")
  @OptionGroup var projectOptions: ProjectOptions
  @Argument(help: "The key.") var key: String
  @Argument(help: "The local file to write.") var file: String

  func run() throws {
    let storage = try SelectedStorage(projectOptions)
    let uri = try storage.uri(key)
    let info = try storage.client.getFile(uri: uri, path: absolute(file))
    Console.print("\(absolute(file)) \(info.size) bytes")
  }
}

struct StorageStat: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "stat", abstract: "Size and hashes of the object under KEY.")
  @OptionGroup var projectOptions: ProjectOptions
  @Argument(help: "The key.") var key: String

  func run() throws {
    let storage = try SelectedStorage(projectOptions)
    try Console.json(try storage.client.stat(uri: try storage.uri(key)))
  }
}

struct StorageList: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "list", abstract: "Objects whose key starts with PREFIX.")
  @OptionGroup var projectOptions: ProjectOptions
  @Argument(help: "A key prefix (default: everything).") var prefix: String = ""

  func run() throws {
    let storage = try SelectedStorage(projectOptions)
    // A URI prefix: the URI of a placeholder key with the placeholder cut off again.
    let marker = "goldfish-list-marker"
    let base = try storage.uri(prefix.isEmpty ? marker : prefix + marker)
    var token: String?
    repeat {
      let page = try storage.client.list(
        ListObjectsRequest(prefix: String(base.dropLast(marker.count)), pageToken: token))
      for object in page.objects { Console.print("\(object.uri)  \(object.size.map(String.init) ?? "?")") }
      token = page.nextPageToken
    } while token != nil
  }
}
