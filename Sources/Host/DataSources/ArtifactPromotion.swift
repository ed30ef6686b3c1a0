import Foundation
import PluginKit

/// A run's output registered as a source by reference (no copy): by hand with `promote_artifact`,
/// or by itself when the output is declared `artifact: true` with `metadata:`. The source and its
/// lineage (what the run read) are written in one transaction.
extension SourceRegistry {
  public struct Promotion: Sendable {
    public var runID: String
    public var outputName: String
    public var sourceName: String
    public var reason: String
    public var metadata: JSONValue
    public var description: String?
    public var format: String?
    public var sizeBytes: Int64?

    public init(
      runID: String, outputName: String, sourceName: String, reason: String, metadata: JSONValue,
      description: String? = nil, format: String? = nil, sizeBytes: Int64? = nil
    ) {
      self.runID = runID
      self.outputName = outputName
      self.sourceName = sourceName
      self.reason = reason
      self.metadata = metadata
      self.description = description
      self.format = format
      self.sizeBytes = sizeBytes
    }
  }

  /// Who made a source from a run: `run:<stage run id>`. Upstream wrote `job:<id>`; both are
  /// accepted where a `created_by` is read back.
  public static func createdBy(run runID: String) -> String { "run:" + runID }

  /// `promote_artifact`: the run must have succeeded and recorded the output.
  public func promote(_ promotion: Promotion) throws(GoldfishError) -> (SourceRecord, SourceLineageView) {
    try Names.source(promotion.sourceName)
    let reason = try Reason.validate(promotion.reason, minimum: project.settings.minReasonLength)
    guard let run = try project.store.stageRun(promotion.runID) else {
      throw GoldfishError(
        .notFound, "no run \(RunIdentifiers.display(promotion.runID))", hint: "list_runs shows recent runs")
    }
    guard run.state.succeeded else {
      throw GoldfishError(
        .invalidArgument,
        "run \(run.id) is \(run.state.rawValue): only a run that succeeded can have its outputs promoted",
        hint: "promote an output of a completed run (or one awaiting finalization)")
    }
    let signals = try project.store.signals(of: run.id)
    guard let output = signals.first(where: { $0.direction == "output" && $0.signal == promotion.outputName }),
      let uri = output.uri
    else {
      let recorded = signals.filter { $0.direction == "output" }.map(\.signal)
      throw GoldfishError(
        .notFound, "run \(run.id) recorded no output \(ValueQuote.short(promotion.outputName))",
        hint: recorded.isEmpty ? "the run recorded no outputs" : "its outputs: \(recorded.joined(separator: ", "))")
    }
    try SourceMetadata.validate(promotion.metadata)
    let stated = promotion.metadata["description"]?.stringValue?.trimmingCharacters(in: .whitespacesAndNewlines)
    guard let description = promotion.description?.trimmingCharacters(in: .whitespacesAndNewlines) ?? stated else {
      throw GoldfishError(.invalidArgument, "promote_artifact needs a description (or metadata.description)")
    }
    try TextLimits.check(description, field: "description", limit: TextLimits.description)
    try Self.checkAgreement(
      .init(
        name: promotion.sourceName, location: uri, description: description, metadata: promotion.metadata,
        reason: reason, format: promotion.format, sizeBytes: promotion.sizeBytes),
      description: description)
    let record = SourceRecord(
      name: promotion.sourceName, uri: uri, description: description, createdBy: Self.createdBy(run: run.id),
      sizeBytes: output.sizeBytes ?? promotion.sizeBytes, metadata: try? JSONCoding.encode(promotion.metadata),
      stageRunID: run.id, outputName: output.signal)
    let lineage = Self.lineage(of: record.name, inputs: signals)
    try project.store.insertSource(record, lineage: lineage)
    try project.journal.record(
      "promote_artifact", reason: reason,
      details: [
        "source": .string(record.name), "run_id": .string(run.id), "output": .string(output.signal),
        "uri": .string(uri),
      ])
    return (record, SourceLineageView(source: record, parents: lineage))
  }

  /// A source's parents (`manage_sources lineage`).
  public func lineage(of name: String) throws(GoldfishError) -> SourceLineageView {
    let record = try get(name)
    return SourceLineageView(source: record, parents: try project.store.sourceLineage(of: name))
  }

  /// The lineage rows a source made from a run gets: one per input the run read.
  static func lineage(of sourceName: String, inputs signals: [SignalRecord]) -> [SourceLineageRecord] {
    signals.filter { $0.direction == "input" }.map { input in
      SourceLineageRecord(
        sourceName: sourceName, parentSource: input.sourceName, parentStageRunID: input.sourceStageRunID,
        signal: input.signal)
    }
  }
}

/// Upstream's `{source_name, parents, job_id}` answer to `manage_sources lineage`, with the run
/// and each parent named.
public struct SourceLineageView: Encodable, Sendable {
  public var source: SourceRecord
  public var parents: [SourceLineageRecord]

  enum Keys: String, CodingKey {
    case sourceName = "source_name", parents, parentSources = "parent_sources", parentRuns = "parent_runs"
    case jobID = "job_id", outputName = "output_name", inputs
  }

  public var parentSources: [String] { Array(Set(parents.compactMap(\.parentSource))).sorted() }
  public var parentRuns: [String] { Array(Set(parents.compactMap(\.parentStageRunID))).sorted() }

  public func encode(to encoder: any Encoder) throws {
    var fields = encoder.container(keyedBy: Keys.self)
    try fields.encode(source.name, forKey: .sourceName)
    // Upstream's `parents` lists parent sources; the runs whose outputs were read are `parent_runs`.
    try fields.encode(parentSources, forKey: .parents)
    try fields.encode(parentSources, forKey: .parentSources)
    try fields.encode(parentRuns, forKey: .parentRuns)
    try fields.encode(source.stageRunID, forKey: .jobID)
    try fields.encode(source.outputName, forKey: .outputName)
    let inputs: [[String: String?]] = parents.map {
      ["signal": $0.signal, "source": $0.parentSource, "run_id": $0.parentStageRunID]
    }
    try fields.encode(inputs, forKey: .inputs)
  }
}
