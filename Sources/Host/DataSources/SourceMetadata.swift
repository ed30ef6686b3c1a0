import Foundation
import PluginKit

extension GoldfishError.Code {
  public static let metadataInvalid = Self("metadata_invalid")
}

/// One thing wrong with a metadata document: where ("source.size_bytes", "schema.arrays.x.shape[2]")
/// and what.
public struct MetadataProblem: Sendable, Equatable, CustomStringConvertible {
  public var path: String
  public var message: String

  public init(_ path: String, _ message: String) {
    self.path = path
    self.message = message
  }

  public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}

/// How stored metadata reads back: valid, absent, broken, or written by a newer goldfish.
public enum SourceMetadataStatus: String, Sendable, Equatable {
  case ok, missing, invalid, future
}

/// The metadata a source (dataset) carries, so stages and agents know what is inside without opening
/// it: `{schema_version: 1, description, source: {format, size_bytes, created_at, format_params?},
/// schema}`, with a schema per format (tensor for npy/npz, tabular for csv, file for file).
///
/// Every problem is reported, not only the first, so one round trip fixes the document.
public enum SourceMetadata {
  public static let schemaVersion: Int64 = 1
  public static let maxBytes = 1_000_000
  public static let maxDepth = 20
  public static let maxNodes = 100_000
  public static let maxSizeBytes: Int64 = 1_000_000_000_000_000  // 1 PB
  public static let descriptionLength = 20...4000
  public static let formats = ["npy", "npz", "csv", "file"]
  public static let delimiters = [",", ";", "|", "\t", ":"]
  public static let roles = ["features", "labels", "embeddings", "weights", "metadata", "index", "unknown"]

  /// Throws `metadata_invalid` naming the first problem, with every problem in `detail["problems"]`.
  public static func validate(_ metadata: JSONValue) throws(GoldfishError) {
    let problems = problems(in: metadata)
    guard let first = problems.first else { return }
    let more = problems.count > 1 ? " (and \(problems.count - 1) more problem\(problems.count == 2 ? "" : "s"))" : ""
    throw GoldfishError(
      .metadataInvalid, "source metadata is invalid: \(first)\(more)",
      hint: "metadata is {schema_version: 1, description, source: {format, size_bytes, created_at}, schema: {kind, …}}",
      detail: [
        "problems": .array(problems.map { ["path": .string($0.path), "message": .string($0.message)] })
      ])
  }

  public static func problems(in metadata: JSONValue) -> [MetadataProblem] {
    var checker = MetadataChecker()
    checker.check(metadata)
    return checker.problems
  }

  /// How metadata stored with a source reads back. A newer `schema_version` is `future`, not
  /// `invalid`: the data is fine, this goldfish just cannot vouch for it.
  public static func parseStatus(_ metadata: JSONValue?) -> SourceMetadataStatus {
    guard let metadata, !metadata.isNull else { return .missing }
    guard metadata.objectValue != nil, case .int(let version)? = metadata["schema_version"] else { return .invalid }
    if version > schemaVersion { return .future }
    return problems(in: metadata).isEmpty ? .ok : .invalid
  }

  /// The same, for metadata stored as JSON text.
  public static func parseStatus(json text: String?) -> SourceMetadataStatus {
    guard let text else { return .missing }
    guard text.utf8.count <= maxBytes, let value = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    else { return .invalid }
    return parseStatus(value)
  }
}
