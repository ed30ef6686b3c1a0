/// Every folder and storage key of a run, named once. Locally, a run lives in
/// `<runs root>/<run id>` (a project's `.goldfish/runs`): a stage run's work folder with
/// `inputs/`, `outputs/` and `run.log`; a pipeline run's folder with `code/` and `driver.log`.
/// In object storage, a run's files are under `runs/<run id>/`. The names inside `outputs/`
/// belong to the stage library: see `StageIO`.
public struct RunLayout: Sendable {
  public static let inputsFolder = "inputs"
  public static let outputsFolder = "outputs"
  public static let codeFolder = "code"
  public static let runLogFileName = "run.log"
  public static let driverLogFileName = "driver.log"
  /// The first component of every run's storage key.
  public static let storagePrefix = "runs"

  /// The folder holding every run's folder.
  public let runsRoot: String

  public init(runsRoot: String) {
    self.runsRoot = runsRoot
  }

  // MARK: local folders

  /// A run's own folder: a stage run's work folder, or a pipeline run's folder.
  public func folder(_ runID: String) -> String { runsRoot + "/" + runID }
  /// The code a pipeline run executes, materialized from its version.
  public func codeDir(pipelineRun runID: String) -> String { folder(runID) + "/" + Self.codeFolder }
  /// What the detached driver of a pipeline run writes to stderr.
  public func driverLog(pipelineRun runID: String) -> String { folder(runID) + "/" + Self.driverLogFileName }

  public static func inputsDir(workDir: String) -> String { workDir + "/" + inputsFolder }
  public static func outputsDir(workDir: String) -> String { workDir + "/" + outputsFolder }
  /// The stage's output as the local runner writes it.
  public static func runLog(workDir: String) -> String { workDir + "/" + runLogFileName }

  // MARK: storage keys

  /// `runs/<id>`: everything stored for one run.
  public static func storageFolder(_ runID: String) -> String { storagePrefix + "/" + runID }
  /// `runs/<id>/outputs`: the prefix of a run's stored outputs.
  public static func outputsKey(_ runID: String) -> String { storageFolder(runID) + "/" + outputsFolder }
  /// `runs/<id>/outputs/<name>`: one stored output (a file, or the prefix of a folder's files).
  public static func outputKey(_ runID: String, _ name: String) -> String { outputsKey(runID) + "/" + name }
  /// `runs/<id>/inputs/<name>`: an input staged for a backend that runs elsewhere.
  public static func inputKey(_ runID: String, _ name: String) -> String {
    storageFolder(runID) + "/" + inputsFolder + "/" + name
  }
  /// `runs/<id>/code`: a run's code, staged for a backend that runs elsewhere.
  public static func codeKey(_ runID: String) -> String { storageFolder(runID) + "/" + codeFolder }
  /// `runs/<id>/logs/output.log`: the stage's output, kept after the run.
  public static func logKey(_ runID: String) -> String { storageFolder(runID) + "/logs/output.log" }
  /// `runs/<id>/logs/build.log`: the stage image's build output.
  public static func buildLogKey(_ runID: String) -> String { storageFolder(runID) + "/logs/build.log" }
}
