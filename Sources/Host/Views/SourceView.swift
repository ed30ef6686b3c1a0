import Foundation
import PluginKit

/// A registered dataset, as `goldfish source list|show --json` and the MCP source tools show it.
/// `gcs_location` is upstream's name for `uri` (kept so an agent's habits carry over).
public struct SourceView: Encodable, Sendable {
  public var source: SourceRecord

  public init(_ source: SourceRecord) {
    self.source = source
  }

  enum Keys: String, CodingKey {
    case name, description, createdAt = "created_at", uri, gcsLocation = "gcs_location", sizeBytes = "size_bytes"
    case status, metadata, createdBy = "created_by", metadataStatus = "metadata_status"
    case stageRunID = "stage_run_id", outputName = "output_name"
  }

  public func encode(to encoder: any Encoder) throws {
    var fields = encoder.container(keyedBy: Keys.self)
    try fields.encode(source.name, forKey: .name)
    try fields.encode(source.description, forKey: .description)
    try fields.encode(source.createdAt, forKey: .createdAt)
    try fields.encode(source.uri, forKey: .uri)
    try fields.encode(source.uri, forKey: .gcsLocation)
    try fields.encode(source.sizeBytes, forKey: .sizeBytes)
    try fields.encode(source.status, forKey: .status)
    try fields.encode(source.metadata.flatMap { try? JSONCoding.parse($0) }, forKey: .metadata)
    try fields.encode(source.createdBy, forKey: .createdBy)
    try fields.encode(SourceMetadata.parseStatus(json: source.metadata).rawValue, forKey: .metadataStatus)
    try fields.encode(source.stageRunID, forKey: .stageRunID)
    try fields.encode(source.outputName, forKey: .outputName)
  }
}
