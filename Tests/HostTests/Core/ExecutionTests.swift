import Foundation
import PluginKit
import PluginSupport
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// The sample pipeline and its failure modes, run for real on the process backend.
@Suite("execution on the process backend", .serialized)
struct ExecutionTests {
  @Test("the sample pipeline runs end to end: versioned first, outputs stored with hashes, lineage, metrics")
  func samplePipeline() throws {
    let fixture = try SamplePipeline.project()
    let (pipelineRun, runs) = try SamplePipeline.run(fixture)
    #expect(pipelineRun.status == "completed", "\(pipelineRun.error ?? "")")
    #expect(runs.map(\.stage) == ["preprocess", "train", "evaluate"])
    #expect(
      runs.allSatisfy { $0.state == .awaitingUserFinalization },
      "\(runs.map { "\($0.stage): \($0.state) \($0.error ?? "")" })")
    let version = try #require(try fixture.project.store.latestVersion(of: "line"))
    #expect(version.createdBy == "run" && pipelineRun.version == version.version)

    let store = fixture.project.store
    let evaluate = try #require(runs.last)
    let inputs = try store.signals(of: evaluate.id).filter { $0.direction == "input" }
    #expect(Set(inputs.compactMap(\.sourceStageRunID)) == Set(runs.prefix(2).map(\.id)))
    let report = try #require(try store.signals(of: evaluate.id).first { $0.signal == "report" })
    let uri = try #require(report.uri)
    #expect(uri.hasPrefix("file://") && uri.contains("runs/\(evaluate.id)/outputs/report"))
    let stored = try Data(contentsOf: URL(fileURLWithPath: String(uri.dropFirst("file://".count))))
    #expect(report.hash == "sha256:" + SHA256Hasher.hex(of: [UInt8](stored)))
    let losses = try store.metrics(of: runs[1].id).filter { $0.name == "loss" }
    #expect(losses.count == 200)
    #expect(losses.last!.value < losses.first!.value)
    #expect(try store.metrics(of: evaluate.id).contains { $0.name == "mse" && $0.value < 0.01 })
    let stateMD = try String(contentsOfFile: fixture.project.paths.stateMD, encoding: .utf8)
    #expect(stateMD.contains("run (line, slot w1)"))
  }

  @Test("a re-run reuses unchanged stages and reruns what a change touches")
  func partialRerun() throws {
    let fixture = try SamplePipeline.project()
    let (_, first) = try SamplePipeline.run(fixture)
    let (_, second) = try SamplePipeline.run(fixture)
    // Reused runs did not run again: they are completed at once, with nothing to finalize.
    #expect(second.allSatisfy { $0.state == .completed })
    #expect(second.map(\.reusedFrom) == first.map(\.id))
    let (_, third) = try SamplePipeline.run(fixture, overrides: ["train.epochs": .int(50)])
    #expect(third[0].reusedFrom == first[0].id, "preprocess did not change")
    #expect(
      third[1].reusedFrom == nil && third[2].reusedFrom == nil, "train's config changed, so train and evaluate ran")
    #expect(try fixture.project.store.metrics(of: third[1].id).filter { $0.name == "loss" }.count == 50)
    let (_, forced) = try SamplePipeline.run(fixture, rerun: true)
    #expect(forced.allSatisfy { $0.reusedFrom == nil })
  }

  @Test("a stage that exits non-zero fails with its exit code and logs, and stops its dependants")
  func failureStopsDependants() throws {
    let fixture = try SamplePipeline.project()
    try fixture.write("modules/train.py", "import sys\nprint('about to fail')\nsys.exit(3)\n")
    let (pipelineRun, runs) = try SamplePipeline.run(fixture)
    #expect(pipelineRun.status == "failed")
    let train = runs[1]
    #expect(train.state == .failed && train.exitCode == 3)
    #expect(train.error?.contains("about to fail") == true, "\(train.error ?? "")")
    #expect(runs[2].state == .failed)
    #expect(runs[2].error?.contains("upstream stage train failed") == true, "\(runs[2].error ?? "")")
    #expect(runs[0].state == .awaitingUserFinalization)
  }

  @Test("a syntax error only met while running fails the run with the interpreter's message in the logs")
  func syntaxError() throws {
    let fixture = try SamplePipeline.project()
    try fixture.write("modules/preprocess.py", "exec('def broken(:')\n")
    let (_, runs) = try SamplePipeline.run(fixture, ["preprocess"])
    #expect(runs[0].state == .failed)
    #expect(runs[0].error?.contains("SyntaxError") == true, "\(runs[0].error ?? "")")
  }

  @Test("a stage module that does not compile is refused before anything is saved or started")
  func syntaxErrorCaughtByPreflight() throws {
    let fixture = try SamplePipeline.project()
    try fixture.write("modules/preprocess.py", "def broken(:\n")
    let before = try fixture.project.store.versions(of: "line").count
    var refused: GoldfishError?
    do { _ = try SamplePipeline.run(fixture, ["preprocess"]) } catch { refused = error as? GoldfishError }
    #expect(refused?.code == .preflightFailed)
    #expect(refused?.message.contains("SyntaxError") == true, "\(refused?.message ?? "")")
    #expect(try fixture.project.store.versions(of: "line").count == before, "nothing was saved")
  }

  @Test("a stage that never writes a declared output fails and names it")
  func missingOutput() throws {
    let fixture = try SamplePipeline.project()
    try fixture.write("modules/preprocess.py", "print('forgot to save')\n")
    let (_, runs) = try SamplePipeline.run(fixture, ["preprocess"])
    #expect(runs[0].state == .failed)
    #expect(runs[0].error?.contains("did not write its declared output features") == true, "\(runs[0].error ?? "")")
  }

  @Test("running a stage whose upstream never completed says which stage to run first")
  func missingUpstream() throws {
    let fixture = try SamplePipeline.project()
    let (_, runs) = try SamplePipeline.run(fixture, ["train"])
    #expect(runs[0].state == .failed)
    #expect(runs[0].error?.contains("stage preprocess, which has never completed") == true, "\(runs[0].error ?? "")")
  }

  @Test("a missing stage module is refused before anything runs, naming the stage")
  func missingModule() throws {
    let fixture = try SamplePipeline.project()
    try FileManager.default.removeItem(atPath: fixture.slot("w1") + "/modules/evaluate.py")
    let services = try ExecutionServices.open(fixture.project)
    do {
      _ = try Executor(services: services).start(RunRequest(target: "w1", reason: goodReason))
      Issue.record("a pipeline with a missing module was started")
    } catch {
      #expect(error.message.contains("evaluate"), "\(error.message)")
    }
    #expect(try fixture.project.store.stageRuns().isEmpty)
    #expect(try fixture.project.workspaces.history("line").isEmpty, "a refused run saves no version")
  }

  @Test("a timeout ends the run as terminated by timeout")
  func timeout() throws {
    let fixture = try SamplePipeline.project()
    try fixture.write("modules/preprocess.py", "import time\ntime.sleep(30)\n")
    let started = Date()
    let (_, runs) = try SamplePipeline.run(fixture, ["preprocess"], overrides: ["compute.max_runtime_seconds": .int(1)])
    #expect(
      runs[0].state == .terminated && runs[0].terminationCause == "timeout", "\(runs[0].state) \(runs[0].error ?? "")")
    #expect(Date().timeIntervalSince(started) < 20)
  }
}
