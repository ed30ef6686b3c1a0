import Foundation
import PluginKit
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// The sample pipeline and its failure modes on the docker backend, against a real engine.
@Suite(
  "execution on the docker backend", .serialized,
  .enabled(if: DockerSupport.available, "needs DOCKER_HOST (scripts/docker-engine.sh)"))
struct DockerExecutionTests {
  @Test("goldfish plugins check passes for the docker plugin, jobs running in the Python image")
  func conformance() {
    let result = Command.goldfish([
      "plugins", "check", TestEnvironment.plugin("GoldfishDocker"), "--image", DockerSupport.image,
      "--config", #"{"socket": "\#(DockerSupport.socket)"}"#,
    ])
    #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
    // Both services (the run backend and the image builder) pass every case, the run lifecycle ones too.
    #expect(result.stdout.components(separatedBy: "cases passed").count == 3, "\(result.stdout)")
    #expect(!result.stdout.contains("FAIL"), "\(result.stdout)")
    #expect(result.stdout.contains("PASS  timeout_seconds is enforced"), "\(result.stdout)")
  }

  @Test("the sample pipeline runs end to end in containers: outputs, lineage, metrics")
  func samplePipeline() throws {
    let fixture = try DockerSupport.sampleProject()
    let (pipelineRun, runs) = try SamplePipeline.run(fixture)
    #expect(pipelineRun.status == "completed", "\(pipelineRun.error ?? "")")
    #expect(
      runs.allSatisfy { $0.state == .awaitingUserFinalization },
      "\(runs.map { "\($0.stage): \($0.state) \($0.error ?? "")" })")
    #expect(runs.allSatisfy { $0.backend == "docker" })
    let store = fixture.project.store
    #expect(try store.metrics(of: runs[1].id).filter { $0.name == "loss" }.count == 200)
    #expect(try store.metrics(of: runs[2].id).contains { $0.name == "mse" && $0.value < 0.01 })
    let report = try #require(try store.signals(of: runs[2].id).first { $0.signal == "report" })
    #expect(report.hash?.hasPrefix("sha256:") == true)
  }

  @Test("a container resumes from another run's checkpoint named in checkpoints_from")
  func resumeFromAnotherRun() throws {
    let fixture = try DockerSupport.sampleProject(edit: SamplePipeline.withoutFinalizationGate)
    let (first, second, read) = try CheckpointsFromStage.resume(fixture)
    #expect(first.backend == "docker" && second.backend == "docker")
    #expect(second.state == .awaitingUserFinalization, "\(second.state) \(second.error ?? "")")
    #expect(read.contains(#""epoch": 7"#) && read.contains(first.id), "\(read)")
  }

  @Test("requirements already in the base image: the stage image is built once, then reused")
  func imageBuiltAndReused() throws {
    let fixture = try DockerSupport.sampleProject()
    // numpy ships in the base image, so pip needs no network to satisfy it.
    // A unique comment gives a tag no earlier test built.
    try fixture.write("requirements.txt", "numpy\n# \(UUID().uuidString)\n")
    let (first, runs) = try SamplePipeline.run(fixture, ["preprocess"])
    #expect(first.status == "completed", "\(runs.map { $0.error ?? "" })")
    let buildLog = try String(contentsOfFile: try #require(runs[0].workDir) + "/build.log", encoding: .utf8)
    #expect(buildLog.contains("Requirement already satisfied"), "\(buildLog)")
    let (second, again) = try SamplePipeline.run(fixture, ["preprocess"], rerun: true)
    #expect(second.status == "completed")
    #expect(
      !FileManager.default.fileExists(atPath: try #require(again[0].workDir) + "/build.log"), "the image was rebuilt")
  }

  @Test("docker.extra_packages are installed into the stage image, and changing them changes the image")
  func extraPackages() throws {
    // numpy ships in the base image, so pip needs no network; the log file named by a unique id
    // gives a tag no earlier test built.
    let marker = UUID().uuidString.prefix(8)
    let fixture = try DockerSupport.sampleProject(
      dockerExtra: "  extra_packages:\n    base: [numpy]\n    cpu: [\"--no-index\", \"--log=/tmp/pip-\(marker).log\"]\n"
    )
    #expect(!FileManager.default.fileExists(atPath: fixture.slot("w1") + "/requirements.txt"))
    let (first, runs) = try SamplePipeline.run(fixture, ["preprocess"])
    #expect(first.status == "completed", "\(runs.map { $0.error ?? "" })")
    let buildLog = try String(contentsOfFile: try #require(runs[0].workDir) + "/build.log", encoding: .utf8)
    #expect(buildLog.contains("Requirement already satisfied: numpy"), "\(buildLog)")
    let image = try Self.image(of: runs[0], in: fixture)
    #expect(image?.hasPrefix("goldfish-stage:") == true, "\(image ?? "nil")")

    // The same packages reuse the image; other packages are another image.
    let (_, again) = try SamplePipeline.run(fixture, ["preprocess"], rerun: true)
    #expect(try Self.image(of: again[0], in: fixture) == image)
    #expect(!FileManager.default.fileExists(atPath: try #require(again[0].workDir) + "/build.log"), "rebuilt")
    let config = fixture.root + "/goldfish.yaml"
    let text = try String(contentsOfFile: config, encoding: .utf8)
    try text.replacingOccurrences(of: "base: [numpy]", with: "base: [numpy, pip]")
      .write(toFile: config, atomically: true, encoding: .utf8)
    let reopened = try ProjectFixture.reopened(fixture)
    let (_, changed) = try SamplePipeline.run(reopened, ["preprocess"])
    #expect(changed[0].state == .awaitingUserFinalization, "\(changed[0].error ?? "")")
    #expect(changed[0].reusedFrom == nil, "another image is another environment: the earlier result is not reused")
    let other = try Self.image(of: changed[0], in: reopened)
    #expect(other != image && other?.hasPrefix("goldfish-stage:") == true, "\(other ?? "nil")")
  }

  /// The image a run was launched in, as its build_ok transition records it.
  static func image(of run: StageRunRecord, in fixture: ProjectFixture) throws -> String? {
    let reason = try fixture.project.store.transitions(of: run.id).first { $0.event == "build_ok" }?.reason
    return reason.map { String($0.dropFirst("image ".count)) }
  }

  @Test("an extra package pip cannot install fails the run, naming docker.extra_packages")
  func extraPackageFailure() throws {
    let fixture = try DockerSupport.sampleProject(
      dockerExtra: "  extra_packages:\n    base: [--no-index, \"no-such-package-\(UUID().uuidString.prefix(8))\"]\n")
    let (pipelineRun, runs) = try SamplePipeline.run(fixture, ["preprocess"])
    #expect(pipelineRun.status == "failed")
    let error = runs[0].error ?? ""
    #expect(error.contains("image build failed") && error.contains("docker.extra_packages"), "\(error)")
  }

  @Test("bad requirements: the image build fails the run with the reason and the build log")
  func imageBuildFailure() throws {
    let fixture = try DockerSupport.sampleProject()
    try fixture.write("requirements.txt", "this is not a requirement !!!\n")
    let (pipelineRun, runs) = try SamplePipeline.run(fixture)
    #expect(pipelineRun.status == "failed")
    let first = runs[0]
    #expect(first.state == .failed, "\(first.state)")
    let error = first.error ?? ""
    #expect(error.contains("image build failed") && error.contains("last build log lines"), "\(error)")
    let log = try String(contentsOfFile: try #require(first.workDir) + "/build.log", encoding: .utf8)
    #expect(log.contains("requirement"), "\(log)")
    let transitions = try fixture.project.store.transitions(of: first.id).map(\.event)
    #expect(transitions.contains("build_fail"), "\(transitions)")
  }

  @Test("an unreachable engine fails the run with an error naming the socket")
  func engineUnreachable() throws {
    let missing = TestEnvironment.temporaryFolder("nosocket") + "/docker.sock"
    let fixture = try DockerSupport.sampleProject(socket: missing)
    let (pipelineRun, runs) = try SamplePipeline.run(fixture)
    #expect(pipelineRun.status == "failed")
    let error = runs[0].error ?? ""
    #expect(error.contains(missing) && error.contains("not reachable"), "\(error)")
  }

  @Test("SIGKILL of the driver mid-run: the next goldfish command finishes the docker run")
  func driverKilled() throws {
    let fixture = try DockerSupport.sampleProject()
    try fixture.write(
      "modules/train.py",
      try String(contentsOfFile: SamplePipeline.samples + "/modules/train.py", encoding: .utf8)
        .replacingOccurrences(of: "config = get_config()", with: "import time\ntime.sleep(3)\nconfig = get_config()"))
    let start = Command.goldfish(["run", "w1", "--reason", goodReason, "--json"], cwd: fixture.root)
    #expect(start.status == 0, "\(start.stderr)")
    let object = try #require(try start.json() as? [String: Any])
    let pipelineRun = try #require(object["pipeline_run_id"] as? String)
    let deadline = Date().addingTimeInterval(60)
    while Date() < deadline {
      let seen = try fixture.project.store.stageRuns(ofPipelineRun: pipelineRun)
      if seen.contains(where: { $0.stage == "train" && $0.state == .running }) { break }
      usleep(50_000)
    }
    // The driver this test started, found by its own pipeline run id, killed by pid.
    let found = Command.run(["/usr/bin/pgrep", "-f", "drive \(pipelineRun)"])
    let pids = found.stdout.split(separator: "\n").compactMap { Int32($0) }
    #expect(!pids.isEmpty, "no driver process was found")
    for pid in pids { kill(pid, SIGKILL) }
    usleep(200_000)
    #expect(try fixture.project.store.pipelineRun(pipelineRun)?.status == "running")
    try fixture.project.store.expireLeaseForTesting("pipeline-run:\(pipelineRun)")
    #expect(Command.goldfish(["runs"], cwd: fixture.root).status == 0)
    let finished = Date().addingTimeInterval(120)
    while Date() < finished, try fixture.project.store.pipelineRun(pipelineRun)?.status == "running" { usleep(100_000) }
    let runs = try fixture.project.store.stageRuns(ofPipelineRun: pipelineRun)
    #expect(
      runs.allSatisfy { $0.state == .awaitingUserFinalization },
      "\(runs.map { "\($0.stage) \($0.state) \($0.error ?? "")" })")
    #expect(runs.filter { $0.stage == "train" }.count == 1, "the train run was recovered, not launched twice")
  }
}
