import Foundation
import PluginKit

/// Registered datasets ("sources"): a name for a local path or an object-storage URI, with a
/// description and validated metadata, usable as a stage input.
public struct SourceRegistry: Sendable {
  let project: Project

  public struct Registration: Sendable {
    public var name: String
    public var location: String
    public var description: String
    public var metadata: JSONValue?
    public var reason: String
    /// Upstream's `format` and `size_bytes`: when metadata is given they must agree with
    /// `metadata.source`; without metadata `size_bytes` is the size of data Goldfish cannot measure.
    public var format: String?
    public var sizeBytes: Int64?

    public init(
      name: String, location: String, description: String, metadata: JSONValue?, reason: String,
      format: String? = nil, sizeBytes: Int64? = nil
    ) {
      self.name = name
      self.location = location
      self.description = description
      self.metadata = metadata
      self.reason = reason
      self.format = format
      self.sizeBytes = sizeBytes
    }
  }

  /// Upstream's agreement rules between the arguments and the metadata: one description, one
  /// format, one size.
  static func checkAgreement(_ registration: Registration, description: String) throws(GoldfishError) {
    if let sizeBytes = registration.sizeBytes, sizeBytes <= 0 {
      throw GoldfishError(.invalidArgument, "size_bytes must be positive (got \(sizeBytes))")
    }
    guard let metadata = registration.metadata?.objectValue else { return }
    if let stated = metadata["description"]?.stringValue,
      stated.trimmingCharacters(in: .whitespacesAndNewlines) != description
    {
      throw GoldfishError(
        .invalidArgument, "description differs from metadata.description",
        hint: "give the same text in both (upstream keeps one description per source)")
    }
    let source = metadata["source"]?.objectValue ?? [:]
    if let format = registration.format, let stated = source["format"]?.stringValue, stated != format {
      throw GoldfishError(
        .invalidArgument,
        "format \(ValueQuote.short(format)) differs from metadata.source.format \(ValueQuote.short(stated))",
        hint: "give the same format in both, or leave format out")
    }
    if let size = registration.sizeBytes, let stated = source["size_bytes"]?.intValue, stated != size {
      throw GoldfishError(
        .invalidArgument, "size_bytes \(size) differs from metadata.source.size_bytes \(stated)",
        hint: "give the same size in both, or leave size_bytes out")
    }
  }

  public func register(_ registration: Registration) throws(GoldfishError) -> SourceRecord {
    try Names.source(registration.name)
    let reason = try Reason.validate(registration.reason, minimum: project.settings.minReasonLength)
    let description = registration.description.trimmingCharacters(in: .whitespacesAndNewlines)
    try TextLimits.check(description, field: "description", limit: TextLimits.description)
    guard !description.isEmpty else {
      throw GoldfishError(.invalidArgument, "a source needs a description", hint: "--description \"what the data is\"")
    }
    if let metadata = registration.metadata { try SourceMetadata.validate(metadata) }
    try Self.checkAgreement(registration, description: description)
    var (uri, size) = try resolveLocation(registration.location)
    if size == nil { size = registration.sizeBytes }
    let metadataText = registration.metadata.flatMap { try? JSONCoding.encode($0) }
    let record = SourceRecord(
      name: registration.name, uri: uri, description: description, createdBy: "external", sizeBytes: size,
      metadata: metadataText)
    try project.store.insertSource(record)
    try project.journal.record(
      "register_source", reason: reason, details: ["source": .string(record.name), "uri": .string(uri)])
    return record
  }

  public func list() throws(GoldfishError) -> [SourceRecord] { try project.store.sources() }

  /// Replaces a source's metadata (upstream's `manage_sources update`): validated as at
  /// registration; its `source.format` cannot change, and its description becomes the source's.
  public func updateMetadata(_ name: String, metadata: JSONValue, reason: String) throws(GoldfishError) -> SourceRecord
  {
    let reason = try Reason.validate(reason, minimum: project.settings.minReasonLength)
    var record = try get(name)
    try SourceMetadata.validate(metadata)
    let oldFormat = record.metadata.flatMap { try? JSONCoding.parse($0) }?.objectValue?["source"]?.objectValue?[
      "format"]
    let newFormat = metadata.objectValue?["source"]?.objectValue?["format"]
    if let oldFormat, oldFormat != newFormat {
      throw GoldfishError(
        .invalidArgument, "metadata.source.format cannot change (it is \(oldFormat.stringValue ?? "set"))",
        hint: "register the data under a new name if its format changed")
    }
    if let description = metadata.objectValue?["description"]?.stringValue {
      record.description = description.trimmingCharacters(in: .whitespacesAndNewlines)
    }
    record.metadata = try? JSONCoding.encode(metadata)
    try project.store.updateSource(record)
    try project.journal.record("update_source", reason: reason, details: ["source": .string(name)])
    return record
  }

  public func get(_ name: String) throws(GoldfishError) -> SourceRecord {
    guard let record = try project.store.source(name) else {
      let known = try project.store.sources().map(\.name)
      throw GoldfishError(
        .notFound, "no registered source \(name)",
        hint: known.isEmpty
          ? "register one: goldfish source register NAME PATH …" : "sources: \(known.joined(separator: ", "))")
    }
    return record
  }

  public func delete(_ name: String, reason: String) throws(GoldfishError) {
    let reason = try Reason.validate(reason, minimum: project.settings.minReasonLength)
    _ = try get(name)
    try project.store.markSourceDeleted(name, reason: reason)
    try project.journal.record("delete_source", reason: reason, details: ["source": .string(name)])
  }

  /// A URI with a scheme is kept as is; a path must exist and becomes a file:// URI.
  private func resolveLocation(_ location: String) throws(GoldfishError) -> (String, Int64?) {
    if let scheme = location.range(of: "://"), location.distance(from: location.startIndex, to: scheme.lowerBound) > 0,
      !location.hasPrefix("file://")
    {
      return (location, nil)
    }
    var path = location.hasPrefix("file://") ? String(location.dropFirst("file://".count)) : location
    if !path.hasPrefix("/") { path = FileManager.default.currentDirectoryPath + "/" + path }
    path = URL(fileURLWithPath: path).standardizedFileURL.path
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw GoldfishError(.notFound, "\(path) does not exist", hint: "register an existing file, folder or a gs:// URI")
    }
    let size =
      isDirectory.boolValue
      ? Self.folderSize(path) : (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64) ?? nil
    return ("file://" + path, size)
  }

  private static func folderSize(_ path: String) -> Int64? {
    guard let walker = FileManager.default.enumerator(atPath: path) else { return nil }
    var total: Int64 = 0
    while let item = walker.nextObject() as? String {
      if let size = try? FileManager.default.attributesOfItem(atPath: path + "/" + item)[.size] as? Int64 {
        total += size
      }
    }
    return total
  }
}
