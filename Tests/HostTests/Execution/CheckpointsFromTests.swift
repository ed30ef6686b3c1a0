import Foundation
import PluginKit
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// `checkpoints_from:` stages earlier runs' checkpoints for `load_checkpoint(run_id=…)`.
@Suite("resuming from another run's checkpoints (checkpoints_from)")
struct CheckpointsFromTests {
  @Test("on the process backend the second run reads the first run's checkpoint through its staged input")
  func resumeOnProcess() throws {
    let fixture = try SamplePipeline.project(configure: SamplePipeline.withoutFinalizationGate)
    let (first, second, read) = try CheckpointsFromStage.resume(fixture)
    #expect(first.state == .awaitingUserFinalization, "\(first.state) \(first.error ?? "")")
    #expect(second.state == .awaitingUserFinalization, "\(second.state) \(second.error ?? "")")
    #expect(read.contains(#""epoch": 7"#) && read.contains(first.id), "\(read)")
  }

  @Test("a run that is not there, or saved no checkpoint, refuses the launch and says what to fix")
  func badSources() throws {
    let fixture = try SamplePipeline.project(configure: SamplePipeline.withoutFinalizationGate)
    try fixture.write("modules/preprocess.py", CheckpointsFromStage.script)
    let (_, missing) = try SamplePipeline.run(
      fixture, ["preprocess"], overrides: ["checkpoints_from": "stage-00000000"])
    #expect(missing.first?.error?.contains("checkpoints_from: no run stage-00000000 in this project") == true)
    // A run whose stage saved nothing: the first run of the sample pipeline's own preprocess.
    let plain = try SamplePipeline.project(configure: SamplePipeline.withoutFinalizationGate)
    let (_, earlier) = try SamplePipeline.run(plain, ["preprocess"])
    let id = try #require(earlier.first?.id)
    try plain.write("modules/preprocess.py", CheckpointsFromStage.script)
    let (_, refused) = try SamplePipeline.run(plain, ["preprocess"], overrides: ["checkpoints_from": [.string(id)]])
    #expect(refused.first?.error?.contains("run \(id) (awaiting_user_finalization) saved no checkpoints") == true,
      "\(refused.first?.error ?? "")")
  }

  @Test("checkpoints_from must hold stage run ids")
  func badValue() throws {
    let (config, issues) = StageConfig.read(
      workspaceDirectory: NSTemporaryDirectory(), stage: "train", defaults: nil,
      override: ["checkpoints_from": [.string("../etc"), .int(3)]])
    #expect(config.checkpointsFrom.isEmpty)
    #expect(issues.filter { $0.message.contains("checkpoints_from entries should be stage run ids") }.count == 2, "\(issues)")
  }
}
