import Foundation
import PluginKit

/// Earlier runs' checkpoints a stage resumes from (`checkpoints_from:` in its config). Each
/// travels to the job as a read-only folder input named `checkpoints.<run id>`, so
/// `load_checkpoint(name, run_id=…)` finds it on every backend: bound into a container, uploaded
/// for a VM, read in place by a local process. A run that saved none, or is not of this project,
/// refuses the launch with what to fix.
struct StageCheckpoints {
  static let configKey = "checkpoints_from"
  static let inputPrefix = "checkpoints."

  let store: ProjectStore

  static func isRunID(_ text: String) -> Bool {
    guard text.hasPrefix("stage-"), text.utf8.count <= 64 else { return false }
    return text.dropFirst("stage-".count).utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
      && text.utf8.count > "stage-".utf8.count
  }

  static func inputName(of runID: String) -> String { inputPrefix + runID }

  /// Where a run's checkpoints are kept on this machine (GCE brings its outputs home when it ends).
  static func folder(workDir: String) -> String {
    RunLayout.outputsDir(workDir: workDir) + "/" + StageIO.runtimeFolder + "/checkpoints"
  }

  func inputs(_ runIDs: [String], for runID: String) throws(GoldfishError) -> [RunInput] {
    var inputs: [RunInput] = []
    for id in runIDs {
      guard id != runID else {
        throw GoldfishError(
          .runRefused, "\(Self.configKey) names the run itself (\(id))",
          hint: "name the earlier run whose checkpoints the stage resumes from")
      }
      guard let source = try store.stageRun(id) else {
        throw GoldfishError(
          .notFound, "\(Self.configKey): no run \(id) in this project", hint: "check the id with list_runs")
      }
      var isDirectory: ObjCBool = false
      guard let workDir = source.workDir,
        FileManager.default.fileExists(atPath: Self.folder(workDir: workDir), isDirectory: &isDirectory),
        isDirectory.boolValue
      else {
        throw GoldfishError(
          .runRefused, "\(Self.configKey): run \(id) (\(source.state.rawValue)) saved no checkpoints",
          hint: "name a run whose stage called save_checkpoint(), or drop it from \(Self.configKey)")
      }
      inputs.append(
        RunInput(
          name: Self.inputName(of: id), type: SignalType.directory.rawValue,
          localPath: Self.folder(workDir: workDir)))
    }
    return inputs
  }
}
