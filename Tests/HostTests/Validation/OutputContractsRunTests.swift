import Foundation
import PluginKit
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// Contracts of a real run on the process backend, through the executor and the finalizer.
@Suite("output contracts of a real run", .serialized)
struct OutputContractsRunTests {
  /// A stage that never imports goldfish.io: it writes its outputs with numpy and open().
  static let pipeline = """
    name: pipeline
    stages:
      - name: emit
        outputs:
          features: {type: npy, schema: {shape: [3], dtype: float32}}
          table: {type: csv, schema: {columns: [a, c]}}
          notes: {type: file, schema: null}
    """
  static let stage = """
    import os
    import numpy as np
    out = os.environ["GOLDFISH_OUTPUTS_DIR"]
    np.save(os.path.join(out, "features.npy"), np.arange(5))
    with open(os.path.join(out, "table.csv"), "w") as f:
        f.write("a,b\\n1,2\\n")
    with open(os.path.join(out, "notes"), "w") as f:
        f.write("no contract here")
    """

  private func project(enforcement: String) throws -> ProjectFixture {
    let fixture = try SamplePipeline.project { $0 + "\nsvs:\n  default_enforcement: \(enforcement)\n" }
    let slot = fixture.slot("w1")
    try Self.pipeline.write(toFile: slot + "/pipeline.yaml", atomically: true, encoding: .utf8)
    try Self.stage.write(toFile: slot + "/modules/emit.py", atomically: true, encoding: .utf8)
    return fixture
  }

  @Test("blocking: a stage that never imported goldfish.io is checked on the host and fails with svs_block")
  func blockingWithoutTheLibrary() throws {
    let fixture = try project(enforcement: "blocking")
    let (pipelineRun, runs) = try SamplePipeline.run(fixture, ["emit"])
    let run = try #require(runs.first)
    #expect(run.state == .failed)
    #expect(run.terminationCause == "svs_block")
    #expect(pipelineRun.status != "completed")
    let error = try #require(run.error)
    #expect(error.hasPrefix("svs_block: 3 output contracts broken: "), "\(error)")
    #expect(error.contains("output features has shape [5], the contract declares [3]"))
    #expect(error.contains("output features has dtype int64, the contract declares float32"))
    #expect(error.contains("missing: c; not declared: b"))
    #expect(try fixture.project.store.transitions(of: run.id).last?.event == "svs_block")
    let reviews = try fixture.project.store.reviews(ofStageRun: run.id, kind: .postRun)
    #expect(reviews.map(\.decision) == [.blocked])
    // The outputs are stored all the same, to be looked at.
    #expect(try fixture.project.store.signals(of: run.id).filter { $0.direction == "output" }.count == 3)
    // Nothing from the stage's library: no statistics, and no review of the output without a contract.
    #expect(try fixture.project.store.outputStats(ofStageRun: run.id).isEmpty)
    #expect(reviews.first?.findings.allSatisfy { $0.subject != "notes" } == true)
  }

  @Test("warning: the same run ends awaiting finalization with the findings recorded as warnings")
  func warningCompletes() throws {
    let fixture = try project(enforcement: "warning")
    let (_, runs) = try SamplePipeline.run(fixture, ["emit"])
    let run = try #require(runs.first)
    #expect(run.state == .awaitingUserFinalization, "\(run.error ?? "")")
    let review = try #require(try fixture.project.store.reviews(ofStageRun: run.id, kind: .postRun).first)
    #expect(review.decision == .warned)
    #expect(review.findings.map(\.check) == ["shape", "dtype", "columns"])
    #expect(review.findings.allSatisfy { $0.severity == .warning })
  }
}
