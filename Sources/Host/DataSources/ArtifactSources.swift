import Foundation
import PluginKit

/// Outputs declared `artifact: true` with `metadata:` become sources by themselves when their run
/// succeeds, by reference to where the output was recorded. A problem (no or invalid metadata, a
/// taken name) never touches the run: it is written as a warning finding on it (a post-run
/// review by `artifact_sources`) and in the journal.
public struct ArtifactSources: Sendable {
  public static let reviewer = "artifact_sources"
  let project: Project

  public init(project: Project) {
    self.project = project
  }

  /// The source name an artifact output gets: `<workspace>-<stage>-<output>-<run short id>`, the
  /// first part cut so the whole fits the 64-character source name rule.
  public static func sourceName(workspace: String, stage: String, output: String, runID: String) -> String {
    let short = String(runID.split(separator: "-").last.map(String.init)?.prefix(8) ?? Substring(runID.suffix(8)))
    var prefix = String("\(workspace)-\(stage)-\(output)".prefix(64 - short.count - 1))
    while let last = prefix.unicodeScalars.last, !(last.properties.isAlphabetic || ("0"..."9").contains(last)) {
      prefix.unicodeScalars.removeLast()
    }
    return prefix + "-" + short
  }

  /// Registers the run's artifact outputs; returns the sources made. Never throws: what cannot be
  /// registered becomes a finding.
  @discardableResult
  public func register(
    run: StageRunRecord, declared: [SignalDefinition], recorded: [SignalRecord]
  ) -> [SourceRecord] {
    let artifacts = declared.filter(\.artifact)
    guard !artifacts.isEmpty else { return [] }
    let inputs = (try? project.store.signals(of: run.id)) ?? recorded
    var made: [SourceRecord] = []
    var findings: [SVSFinding] = []
    for output in artifacts {
      do throws(GoldfishError) {
        made.append(try register(output, run: run, recorded: recorded, inputs: inputs))
      } catch {
        findings.append(
          SVSFinding(
            check: "artifact_source", severity: .warning,
            message: "output \(output.name) was not registered as a source: \(error.message)"
              + (error.hint.map { " (\($0))" } ?? ""),
            subject: output.name, details: error.detail.isEmpty ? nil : .object(error.detail)))
      }
    }
    if !findings.isEmpty {
      _ = try? project.store.addReview(
        SVSReview(
          stageRunID: run.id, kind: .postRun, decision: SVSReview.Decision(findings: findings, blockOnError: false),
          reviewer: Self.reviewer, findings: findings))
    }
    return made
  }

  private func register(
    _ output: SignalDefinition, run: StageRunRecord, recorded: [SignalRecord], inputs: [SignalRecord]
  ) throws(GoldfishError) -> SourceRecord {
    guard let metadata = output.metadata else {
      throw GoldfishError(
        .metadataInvalid, "artifact: true needs metadata: to become a source",
        hint: "add metadata: (schema_version 1) to the output in pipeline.yaml, or promote it with promote_artifact")
    }
    try SourceMetadata.validate(metadata)
    guard let signal = recorded.first(where: { $0.signal == output.name }), let uri = signal.uri else {
      throw GoldfishError(.outputMissing, "the run recorded no location for it")
    }
    let name = Self.sourceName(workspace: run.workspace, stage: run.stage, output: output.name, runID: run.id)
    try Names.source(name)
    let description =
      metadata["description"]?.stringValue?.trimmingCharacters(in: .whitespacesAndNewlines)
      ?? "output \(output.name) of run \(run.id)"
    let record = SourceRecord(
      name: name, uri: uri, description: description, createdBy: SourceRegistry.createdBy(run: run.id),
      sizeBytes: signal.sizeBytes, metadata: try? JSONCoding.encode(metadata), stageRunID: run.id,
      outputName: output.name)
    try project.store.insertSource(record, lineage: SourceRegistry.lineage(of: name, inputs: inputs))
    // The source exists from here on: a journal that cannot be written must not report it missing.
    try? project.journal.record(
      "artifact_source", reason: "output \(output.name) of \(run.id) is declared artifact: true",
      details: ["source": .string(name), "run_id": .string(run.id), "uri": .string(uri)])
    return record
  }
}
