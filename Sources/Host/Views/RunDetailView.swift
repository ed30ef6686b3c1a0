import Foundation
import PluginKit

/// One stage run in full, as `goldfish inspect` and MCP `inspect_run` show it: the run's
/// `StageRunView` fields, then its metrics, inputs and outputs (with their storage locations),
/// state history, config and, for a reused run, which run it stands for.
public struct RunDetailView: Encodable, Sendable {
  public var details: RunQueries.Details

  public init(_ details: RunQueries.Details) {
    self.details = details
  }

  enum Keys: String, CodingKey {
    case runID = "run_id", metrics, inputs, outputs, transitions, config, reused
  }

  public func encode(to encoder: any Encoder) throws {
    try StageRunView(details.run).encode(to: encoder)
    var fields = encoder.container(keyedBy: Keys.self)
    try fields.encode(details.run.id, forKey: .runID)
    try fields.encode(details.metrics, forKey: .metrics)
    try fields.encode(details.inputs, forKey: .inputs)
    try fields.encode(details.outputs, forKey: .outputs)
    try fields.encode(details.transitions, forKey: .transitions)
    try fields.encode(details.run.config.flatMap { try? JSONCoding.parse($0) }, forKey: .config)
    try fields.encode(details.reused, forKey: .reused)
  }
}
