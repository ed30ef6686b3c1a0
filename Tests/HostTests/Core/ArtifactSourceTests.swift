import Foundation
import PluginKit
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// Outputs that become sources (`artifact: true`, `promote_artifact`) and lineage walked through
/// them both ways.
@Suite("artifact sources")
struct ArtifactSourceTests {
  static let metadataYAML = """
    {schema_version: 1, description: "scaled points as JSON for the line fit", \
    source: {format: file, size_bytes: 2048, created_at: "2026-12-03T00:00:00Z"}, \
    schema: {kind: file, content_type: application/json}}
    """

  static var metadata: JSONValue {
    [
      "schema_version": 1, "description": "scaled points as JSON for the line fit",
      "source": ["format": "file", "size_bytes": 2048, "created_at": "2026-12-03T00:00:00Z"],
      "schema": ["kind": "file", "content_type": "application/json"],
    ]
  }

  /// The sample pipeline with preprocess's `features` declared as written here.
  static func pipeline(features: String) throws -> String {
    try String(contentsOfFile: SamplePipeline.samples + "/pipeline.yaml", encoding: .utf8).replacingOccurrences(
      of: "features: {type: file, schema: null}\n  - name: train", with: "features: \(features)\n  - name: train")
  }

  /// One stage, train, reading `features` from a registered dataset.
  static let trainOnDataset = """
    name: pipeline
    stages:
      - name: train
        inputs:
          features: {type: dataset, dataset: feats, schema: null}
        outputs:
          model: {type: file, schema: null}
    """

  @Test("an artifact: true output with metadata becomes a source when its run succeeds, lineage in the same breath")
  func artifactOutputBecomesSource() throws {
    let fixture = try SamplePipeline.project(configure: SamplePipeline.withoutFinalizationGate)
    let declared = try Self.pipeline(
      features: "{type: file, schema: null, artifact: true, metadata: \(Self.metadataYAML)}")
    #expect(declared.contains("artifact: true"))
    try fixture.write("pipeline.yaml", declared)
    let (_, runs) = try SamplePipeline.run(fixture, ["preprocess"])
    let run = try #require(runs.first)
    #expect(run.state.succeeded)
    let name = ArtifactSources.sourceName(workspace: "line", stage: "preprocess", output: "features", runID: run.id)
    #expect(name.hasPrefix("line-preprocess-features-"))
    let source = try fixture.project.sources.get(name)
    let output = try #require(try fixture.project.store.signals(of: run.id).first { $0.direction == "output" })
    #expect(source.uri == output.uri, "a reference to where the output was recorded, not a copy")
    #expect(source.createdBy == "run:\(run.id)")
    #expect(source.stageRunID == run.id && source.outputName == "features")
    #expect(source.description == "scaled points as JSON for the line fit")
    let lineage = try fixture.project.sources.lineage(of: name)
    #expect(lineage.parentSources == ["points"])
    #expect(lineage.parents.map(\.signal) == ["raw"])
    #expect(
      try fixture.project.store.reviews(ofStageRun: run.id).filter { $0.kind != .preflight }.isEmpty,
      "nothing to warn about")
  }

  @Test("artifact: true without metadata: the run still succeeds, with a warning finding saying why no source")
  func artifactWithoutMetadataIsAFinding() throws {
    let fixture = try SamplePipeline.project(configure: SamplePipeline.withoutFinalizationGate)
    try fixture.write("pipeline.yaml", try Self.pipeline(features: "{type: file, schema: null, artifact: true}"))
    let (_, runs) = try SamplePipeline.run(fixture, ["preprocess"])
    let run = try #require(runs.first)
    #expect(run.state.succeeded, "a metadata problem never loses the run")
    #expect(try fixture.project.sources.list().map(\.name) == ["points"])
    let review = try #require(
      try fixture.project.store.reviews(ofStageRun: run.id).first { $0.reviewer == ArtifactSources.reviewer })
    #expect(review.reviewer == ArtifactSources.reviewer && review.decision == .warned)
    let finding = try #require(review.findings.first)
    #expect(finding.subject == "features" && finding.severity == .warning)
    #expect(finding.message.contains("metadata"))
  }

  @Test("promote_artifact: a source by reference with its lineage; a new run reads it; lineage walks both ways")
  func promoteAndWalk() throws {
    let fixture = try SamplePipeline.project(configure: SamplePipeline.withoutFinalizationGate)
    let (_, runs) = try SamplePipeline.run(fixture, ["preprocess"])
    let producer = try #require(runs.first)
    let sources = fixture.project.sources
    let (record, lineage) = try sources.promote(
      .init(
        runID: producer.id, outputName: "features", sourceName: "feats", reason: goodReason, metadata: Self.metadata,
        format: "file", sizeBytes: 2048))
    #expect(record.createdBy == "run:\(producer.id)")
    #expect(record.uri == (try fixture.project.store.signals(of: producer.id).first { $0.signal == "features" })?.uri)
    #expect(lineage.parentSources == ["points"])
    #expect(try sources.lineage(of: "feats").parentSources == ["points"])

    try fixture.write("pipeline.yaml", Self.trainOnDataset)
    let (_, trained) = try SamplePipeline.run(fixture, ["train"])
    let consumer = try #require(trained.first)
    #expect(consumer.state.succeeded)

    let links = RunLinks(store: fixture.project.store)
    #expect(
      try links.producers(of: consumer.id) == [.init(runID: producer.id, signal: "features", viaSource: "feats")])
    #expect(
      try links.consumers(of: producer.id) == [.init(runID: consumer.id, signal: "features", viaSource: "feats")])
    let queries = RunQueries(services: try ExecutionServices.open(fixture.project))
    let upstream = try queries.lineage(consumer.id)
    #expect(upstream["inputs"]?.arrayValue?.first?["from"]?["run"]?.stringValue == producer.id)
    let downstream = try queries.lineage(producer.id)
    let reader = downstream["downstream"]?.arrayValue?.first
    #expect(reader?["run"]?.stringValue == consumer.id)
    #expect(reader?["via_source"]?.stringValue == "feats")
    #expect(downstream["outputs"]?.arrayValue?.first?["sources"]?.arrayValue?.first?.stringValue == "feats")
  }

  @Test("promote_artifact refuses: unknown run or output, a run that did not succeed, disagreeing format, a taken name")
  func promoteRefusals() throws {
    let fixture = try SamplePipeline.project(configure: SamplePipeline.withoutFinalizationGate)
    let (_, runs) = try SamplePipeline.run(fixture, ["preprocess"])
    let run = try #require(runs.first)
    let sources = fixture.project.sources
    func promote(
      _ runID: String, _ output: String = "features", name: String = "feats", metadata: JSONValue = Self.metadata,
      format: String? = nil
    ) throws {
      _ = try sources.promote(
        .init(
          runID: runID, outputName: output, sourceName: name, reason: goodReason, metadata: metadata, format: format))
    }
    #expect(throws: GoldfishError.self) { try promote("stage-nope") }
    let unknownOutput = #expect(throws: GoldfishError.self) { try promote(run.id, "weights") }
    #expect(unknownOutput?.hint?.contains("features") == true)
    let format = #expect(throws: GoldfishError.self) { try promote(run.id, format: "csv") }
    #expect(format?.message.contains("format") == true)
    #expect(throws: GoldfishError.self) { try promote(run.id, metadata: ["schema_version": 1]) }
    #expect(throws: GoldfishError.self) { try promote(run.id, name: "points") }
    try fixture.write("modules/preprocess.py", "raise SystemExit(3)\n")
    let (_, failed) = try SamplePipeline.run(fixture, ["preprocess"])
    let failedRun = try #require(failed.first)
    #expect(!failedRun.state.succeeded)
    let refused = #expect(throws: GoldfishError.self) { try promote(failedRun.id) }
    #expect(refused?.message.contains("succeeded") == true)
    #expect(try sources.list().map(\.name) == ["points"], "nothing half-registered")
  }

  @Test("log_artifact: the file is stored with the run's outputs as artifact:<name>; a path never written is a warning")
  func loggedArtifacts() throws {
    let fixture = try SamplePipeline.project(configure: SamplePipeline.withoutFinalizationGate)
    let module = try String(contentsOfFile: SamplePipeline.samples + "/modules/preprocess.py", encoding: .utf8)
    try fixture.write(
      "modules/preprocess.py",
      module + """
        import os
        from goldfish.metrics import log_artifacts
        os.makedirs(get_output_path("features").parent / "plots", exist_ok=True)
        open(get_output_path("features").parent / "plots" / "loss.txt", "w").write("a falling loss")
        log_artifacts({"plots": "plots", "ghost": "never/written.bin"})

        """)
    let (_, runs) = try SamplePipeline.run(fixture, ["preprocess"])
    let run = try #require(runs.first)
    #expect(run.state.succeeded, "a logged path that is not there never fails the run")
    let outputs = try fixture.project.store.signals(of: run.id).filter { $0.direction == "output" }
    #expect(outputs.map(\.signal).sorted() == ["artifact:plots", "features"])
    let plots = try #require(outputs.first { $0.signal == "artifact:plots" })
    #expect(plots.signalType == "artifact" && plots.sizeBytes == Int64("a falling loss".utf8.count))
    let stored = String(try #require(plots.uri).dropFirst("file://".count)) + "loss.txt"
    #expect(try String(contentsOfFile: stored, encoding: .utf8) == "a falling loss")
    let review = try #require(
      try fixture.project.store.reviews(ofStageRun: run.id).first { $0.reviewer == "logged_artifacts" })
    #expect(review.reviewer == "logged_artifacts" && review.findings.map(\.subject) == ["ghost"])
    // The one declared output is still the one an override of a differently named input reads.
    let definition = try PipelineLoader.load(workspaceDirectory: fixture.slot("w1"))
    let chosen = try InputOverrides.validate(
      ["evaluate": ["model": .string(run.id)]], selected: ["evaluate"], definition: definition,
      store: fixture.project.store)
    #expect(chosen["evaluate"]?["model"] == .run(id: run.id, signal: "features"))
  }

  @Test("an artifact's source name fits the source name rule however long the parts")
  func sourceNameRule() throws {
    let long = String(repeating: "w", count: 70)
    let name = ArtifactSources.sourceName(workspace: long, stage: "train", output: "model", runID: "stage-0123456789ab")
    #expect(name.count <= 64 && name.hasSuffix("-01234567"))
    try Names.source(name)
    #expect(
      ArtifactSources.sourceName(workspace: "line", stage: "train", output: "model", runID: "stage-0123456789ab")
        == "line-train-model-01234567")
  }
}
