import Foundation
import PluginKit
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// `slurm.data: object-storage` against the real local Slurm with the storage emulator as the
/// project's storage: goldfish-agent is the job's only step, stages the inputs and code into
/// node-local scratch, and sends the log, metrics, outputs and exit record back through storage.
@Suite(
  "slurm with data: object-storage", .serialized,
  .enabled(if: SlurmSupport.stagingAvailable, "\(SlurmSupport.stagingReason)"))
struct SlurmObjectStorageTests {
  @Test("the sample pipeline runs through object storage: outputs, logs, lineage and metrics as in shared mode")
  func samplePipeline() throws {
    let (fixture, prefix) = try SlurmSupport.objectStorageProject()
    let (pipelineRun, runs) = try SamplePipeline.run(fixture)
    #expect(pipelineRun.status == "completed", "\(pipelineRun.error ?? "")")
    #expect(runs.map(\.stage) == ["preprocess", "train", "evaluate"])
    #expect(
      runs.allSatisfy { $0.state == .awaitingUserFinalization },
      "\(runs.map { "\($0.stage): \($0.state) \($0.error ?? "")" })")
    let store = fixture.project.store
    #expect(try store.metrics(of: runs[1].id).filter { $0.name == "loss" }.count == 200)
    #expect(try store.metrics(of: runs[2].id).contains { $0.name == "mse" && $0.value < 0.01 })
    let report = try #require(try store.signals(of: runs[2].id).first { $0.signal == "report" })
    #expect(report.hash?.hasPrefix("sha256:") == true)
    let root = "gs://\(GCSSupport.bucket)/\(prefix)/"
    for run in runs {
      for signal in try store.signals(of: run.id) where signal.direction == "output" {
        #expect(signal.uri?.hasPrefix(root) == true, "\(run.stage).\(signal.signal) is at \(signal.uri ?? "nil")")
      }
      // The run went through the agent: its exit record came home after the outputs; the
      // shared-mode script's record was never written; the node's scratch is gone; and once the
      // host held everything, cleanup removed the staged copy (outputs are stored once).
      let work = try #require(run.workDir)
      let exit = try #require(FileManager.default.contents(atPath: work + "/slurm-agent-exit.json"), "\(run.stage)")
      let record = try JSONCoding.parse(String(decoding: exit, as: UTF8.self))
      #expect(record["exit_code"]?.intValue == 0 && record["termination_cause"]?.stringValue == "exit", "\(record)")
      #expect(try SlurmSupport.storedObject("\(prefix)/slurm/runs/\(run.id)/exit.json") == nil, "\(run.stage)")
      #expect(!FileManager.default.fileExists(atPath: work + "/slurm-exit.json"), "\(run.stage)")
      #expect(!FileManager.default.fileExists(atPath: "/tmp/goldfish-\(run.id)"), "\(run.stage)")
    }
    let logs = Command.goldfish(["logs", runs[1].id], cwd: fixture.root)
    #expect(logs.stdout.contains("trained: a="), "\(logs.stdout)\n\(logs.stderr)")
    let consumers = try store.consumers(of: runs[0].id)
    #expect(Set(consumers.map(\.stageRunID)) == [runs[1].id, runs[2].id], "\(consumers)")
  }

  @Test("with file storage on a path the nodes see, the same staging goes through that folder")
  func fileStorage() throws {
    let fixture = try SamplePipeline.project { text in
      text.replacingOccurrences(of: "  backend: process", with: "  backend: slurm")
        + SlurmSupport.yaml("  data: object-storage\n")
    }
    let (pipelineRun, runs) = try SamplePipeline.run(fixture)
    #expect(pipelineRun.status == "completed", "\(pipelineRun.error ?? "")")
    #expect(
      runs.allSatisfy { $0.state == .awaitingUserFinalization },
      "\(runs.map { "\($0.stage): \($0.state) \($0.error ?? "")" })")
    #expect(try fixture.project.store.metrics(of: runs[1].id).filter { $0.name == "loss" }.count == 200)
    // Each run went through the file storage's `slurm/` folder (its exit record came home from
    // there), and cleanup left nothing of it behind.
    let files = (FileManager.default.enumerator(atPath: fixture.root)?.allObjects as? [String]) ?? []
    for run in runs {
      let work = try #require(run.workDir)
      #expect(FileManager.default.fileExists(atPath: work + "/slurm-agent-exit.json"), "\(run.stage)")
      #expect(!files.contains { $0.contains("slurm/runs/\(run.id)") }, "\(run.stage)")
    }
  }

  @Test("a stage past its max_runtime_seconds is stopped by the agent: terminated, cause timeout")
  func stageTimeout() throws {
    let (fixture, _) = try SlurmSupport.objectStorageProject()
    try fixture.write("modules/preprocess.py", "import time\ntime.sleep(120)\n")
    try fixture.write("configs/preprocess.yaml", "compute:\n  profile: cpu-small\n  max_runtime_seconds: 3\n")
    let (_, runs) = try SamplePipeline.run(fixture, ["preprocess"])
    let run = try #require(runs.first)
    #expect(run.state == .terminated, "\(run.state) \(run.error ?? "")")
    #expect(run.terminationCause == "timeout", "\(run.terminationCause ?? "nil") \(run.error ?? "")")
  }

  @Test("scancel of a staged job ends the run canceled, not lost")
  func scancelEndsRunCanceled() throws {
    let (fixture, _) = try SlurmSupport.objectStorageProject()
    try fixture.write("modules/preprocess.py", "import time\nprint('started', flush=True)\ntime.sleep(120)\n")
    let start = Command.goldfish(["run", "w1", "preprocess", "--reason", goodReason, "--json"], cwd: fixture.root)
    #expect(start.status == 0, "\(start.stderr)")
    let object = try #require(try start.json() as? [String: Any])
    let runID = try #require(
      (object["queued"] as? [[String: Any]])?.first { $0["stage"] as? String == "preprocess" }?["stage_run_id"]
        as? String)
    // Running, and the stage itself has started (its first line came home through storage).
    let deadline = Date().addingTimeInterval(90)
    var work: String?
    while Date() < deadline {
      work = try fixture.project.store.stageRun(runID)?.workDir
      if let work, let log = try? String(contentsOfFile: work + "/slurm-output.log", encoding: .utf8),
        log.contains("started")
      {
        break
      }
      _ = Command.goldfish(["runs"], cwd: fixture.root)
      usleep(200_000)
    }
    let folder = try #require(work)
    let submitted = try JSONCoding.parse(try String(contentsOfFile: folder + "/slurm-job.json", encoding: .utf8))
    let id = try #require(submitted["job_id"]?.intValue)
    #expect(SlurmSupport.tool(["/usr/bin/scancel", String(id)]).status == 0)
    let stopped = Date().addingTimeInterval(60)
    while Date() < stopped, try fixture.project.store.stageRun(runID)?.state.isTerminal != true { usleep(100_000) }
    let run = try #require(try fixture.project.store.stageRun(runID))
    #expect(run.state == .canceled, "\(run.state) \(run.error ?? "")")
  }

  @Test("bad data settings are refused with what to write instead")
  func badDataSettings() throws {
    do {
      _ = try SlurmSupport.backend(SlurmSupport.config(["data": "nfs"]))
      Issue.record("data: nfs was accepted")
    } catch {
      #expect("\(error)".contains("slurm.data"), "\(error)")
      #expect("\(error)".contains("object-storage"), "\(error)")
    }
    // No project storage to stage through (the backend opened outside a project).
    do {
      _ = try SlurmSupport.backend(SlurmSupport.config(["data": "object-storage"]))
      Issue.record("object-storage without a storage was accepted")
    } catch {
      #expect("\(error)".contains("storage.backend"), "\(error)")
    }
    // A storage the agent cannot speak.
    let registry = PluginRegistry.load([.init(path: TestEnvironment.plugin("GoldfishSlurm"), origin: "test")])
    let context = ServiceContext(
      hostVersion: GoldfishVersion.current, objectStorage: .init(name: "s3", config: ["bucket": "b"]))
    do {
      _ = try registry.open(
        .runBackend, "slurm", config: SlurmSupport.config(["data": "object-storage"]), context: context)
      Issue.record("object-storage on s3 was accepted")
    } catch {
      #expect("\(error)".contains("s3") && "\(error)".contains("gcs or file"), "\(error)")
    }
    // The same through the CLI: config validate names the key.
    let (fixture, _) = try SlurmSupport.objectStorageProject("  scratch: relative/path\n")
    let validate = Command.goldfish(["config", "validate"], cwd: fixture.root)
    #expect(validate.status != 0, "\(validate.stdout)")
    #expect((validate.stdout + validate.stderr).contains("slurm.scratch"), "\(validate.stdout)\(validate.stderr)")
  }
}
