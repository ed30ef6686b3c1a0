import Foundation
import PluginKit
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// The sample pipeline with `storage.backend: gcs` on the emulator: the executor is the
/// same, inputs are staged through get_file and outputs land in the bucket.
@Suite("the sample pipeline on gcs storage", .enabled(if: GCSSupport.available), .serialized)
struct GCSPipelineTests {
  @Test("runs end to end; outputs and lineage point at gs:// URIs that hold the bytes")
  func samplePipeline() throws {
    try GCSSupport.ensureBucket()
    let prefix = "pipeline-" + UUID().uuidString.prefix(8).lowercased()
    let fixture = try SamplePipeline.project { text in
      text.replacingOccurrences(of: "  backend: file", with: "  backend: gcs")
        + "\ngcs:\n  bucket: \(GCSSupport.bucket)\n  prefix: \(prefix)\n  chunk_size_mb: 0.25\n"
    }

    let (pipelineRun, runs) = try SamplePipeline.run(fixture)
    #expect(pipelineRun.status == "completed", "\(pipelineRun.error ?? "")")
    #expect(
      runs.allSatisfy { $0.state == .awaitingUserFinalization },
      "\(runs.map { "\($0.stage): \($0.state) \($0.error ?? "")" })")
    let store = fixture.project.store
    let evaluate = try #require(runs.last)
    let inputs = try store.signals(of: evaluate.id).filter { $0.direction == "input" }
    #expect(Set(inputs.compactMap(\.sourceStageRunID)) == Set(runs.prefix(2).map(\.id)))
    let root = "gs://\(GCSSupport.bucket)/\(prefix)/"
    for run in runs {
      for signal in try store.signals(of: run.id) where signal.direction == "output" {
        #expect(signal.uri?.hasPrefix(root) == true, "\(run.stage).\(signal.signal) is at \(signal.uri ?? "nil")")
      }
    }
    for input in inputs where input.sourceStageRunID != nil {
      #expect(input.uri?.hasPrefix(root) == true, "input \(input.signal) is read from \(input.uri ?? "nil")")
    }
    let report = try #require(try store.signals(of: evaluate.id).first { $0.signal == "report" })
    let uri = try #require(report.uri)
    let storage = try GCSSupport.open()
    let bytes = try storage.getBytes(["uri": .string(uri), "max_bytes": 10_000_000])
    #expect(!bytes.isEmpty)
  }
}
