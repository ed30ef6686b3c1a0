import Foundation
import PluginKit

@testable import Host

/// A stage that saves a checkpoint on its first run and, named in `checkpoints_from:` on a
/// later run, loads it back with `load_checkpoint(run_id=…)` and writes what it read as its
/// output: the resume path a user takes, on whichever backend the fixture selects.
enum CheckpointsFromStage {
  static let script = """
    import json, pickle
    from goldfish.io import get_config, get_output_path, load_checkpoint, save_checkpoint, save_output

    config = get_config()
    sources = config.get("checkpoints_from") or []
    if sources:
        found = load_checkpoint("model", run_id=sources[0])
        state = pickle.loads(found.read_bytes())
        state["resumed_from"] = sources[0]
    else:
        save_checkpoint("model", {"epoch": 7}, step=7)
        state = {"epoch": 0}
    with open(get_output_path("features"), "w") as handle:
        json.dump(state, handle)
    save_output("features", get_output_path("features"))

    """

  /// Runs preprocess twice, the second naming the first in `checkpoints_from`; returns both runs
  /// and what the second one wrote.
  static func resume(_ fixture: ProjectFixture) throws -> (first: StageRunRecord, second: StageRunRecord, read: String)
  {
    try fixture.write("modules/preprocess.py", script)
    let (_, firstRuns) = try SamplePipeline.run(fixture, ["preprocess"])
    let first = try requireRun(firstRuns)
    let (_, secondRuns) = try SamplePipeline.run(
      fixture, ["preprocess"], overrides: ["checkpoints_from": [.string(first.id)]])
    let second = try requireRun(secondRuns)
    let output = RunLayout.outputsDir(workDir: second.workDir ?? "") + "/features"
    let read = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
    return (first, second, read)
  }

  private static func requireRun(_ runs: [StageRunRecord]) throws -> StageRunRecord {
    guard let run = runs.first else { throw GoldfishError(.notFound, "the pipeline made no stage run") }
    return run
  }
}
