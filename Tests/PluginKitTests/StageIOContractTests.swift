import Foundation
import PluginKit
import PluginSupport
import Testing

@testable import GoldfishTestSupport

/// The stage-IO contract is spelled twice, in Swift (`StageIO`, `RunLayout`) and in the Python
/// library every stage imports: these tests read the library's own constants with python3 and
/// compare, so neither side can rename a file or a variable alone.
@Suite("Stage IO contract: Swift and python/goldfish agree")
struct StageIOContractTests {
  /// The Python library's constants, as python3 imports them from this checkout.
  static func pythonConstants() throws -> [String: Any] {
    let script = """
      import json
      from goldfish.io import _context, _metrics, _outputs
      print(json.dumps({
        "env_keys": list(_context._ENV_KEYS),
        "config_file_env": _context.CONFIG_FILE_ENV,
        "runtime_dir": _context.RUNTIME_DIRNAME,
        "default_inputs": _context.DEFAULT_INPUTS_DIR,
        "default_outputs": _context.DEFAULT_OUTPUTS_DIR,
        "manifest": _outputs.MANIFEST,
        "metrics": _metrics.METRICS_FILE,
      }))
      """
    let result = Command.run(
      ["/usr/bin/env", "python3", "-c", script],
      environment: ["PYTHONPATH": TestEnvironment.packageRoot + "/python", "PYTHONDONTWRITEBYTECODE": "1"])
    try #require(result.status == 0, "python3 could not import goldfish.io: \(result.stderr)")
    return try #require(try result.json() as? [String: Any])
  }

  @Test("the variables the library reads are the ones StageIO names")
  func variables() throws {
    let python = try Self.pythonConstants()
    let keys = try #require(python["env_keys"] as? [String])
    #expect(Set(keys) == Set(StageIO.libraryVariables))
    #expect(python["config_file_env"] as? String == StageIO.stageConfigFileVariable)
  }

  @Test("the files the library writes under outputs/ are where the host reads them")
  func files() throws {
    let python = try Self.pythonConstants()
    #expect(python["runtime_dir"] as? String == StageIO.runtimeFolder)
    #expect(python["manifest"] as? String == StageIO.outputsManifestFileName)
    #expect(python["metrics"] as? String == StageIO.metricsFileName)
    let outputs = RunLayout.outputsDir(workDir: "/w")
    let runtime = "/w/outputs/\(python["runtime_dir"] ?? "")"
    #expect(StageIO.outputsManifest(outputsDir: outputs) == "\(runtime)/\(python["manifest"] ?? "")")
    #expect(StageIO.metricsFile(outputsDir: outputs) == "\(runtime)/\(python["metrics"] ?? "")")
  }

  @Test("the container folders the library falls back to are the ones a container backend mounts")
  func containerFolders() throws {
    let python = try Self.pythonConstants()
    #expect(python["default_inputs"] as? String == StageIO.defaultInputsDir)
    #expect(python["default_outputs"] as? String == StageIO.defaultOutputsDir)
  }

  @Test("a run's storage keys and local folders have one spelling each")
  func layout() {
    let layout = RunLayout(runsRoot: "/p/.goldfish/runs")
    #expect(layout.folder("stage-1") == "/p/.goldfish/runs/stage-1")
    #expect(layout.codeDir(pipelineRun: "prun-1") == "/p/.goldfish/runs/prun-1/code")
    #expect(layout.driverLog(pipelineRun: "prun-1") == "/p/.goldfish/runs/prun-1/driver.log")
    #expect(RunLayout.inputsDir(workDir: "/w") == "/w/inputs")
    #expect(RunLayout.runLog(workDir: "/w") == "/w/run.log")
    #expect(RunLayout.outputKey("stage-1", "model.pt") == "runs/stage-1/outputs/model.pt")
    #expect(RunLayout.logKey("stage-1") == "runs/stage-1/logs/output.log")
    #expect(RunLayout.buildLogKey("stage-1") == "runs/stage-1/logs/build.log")
    #expect(RunLayout.inputKey("stage-1", "data") == "runs/stage-1/inputs/data")
    #expect(RunLayout.codeKey("stage-1") == "runs/stage-1/code")
    // The warm-worker mailbox stores a run's files under the same keys.
    #expect((try? MailboxLayout.log(run: "stage-1")) == RunLayout.logKey("stage-1"))
    #expect((try? MailboxLayout.outputsFolder(run: "stage-1")) == RunLayout.outputsKey("stage-1"))
  }
}
