/// The stage-IO contract: the environment and files through which a stage process and the
/// stage library (`python/goldfish/io`) meet the host. Run backends honour it too: one that runs
/// a stage in a container points the folder variables at the container's own paths.
/// `StageIOContractTests` compares these names with the Python library's constants.
public enum StageIO {
  /// The folder holding the stage's inputs (and its config file).
  public static let inputsDirVariable = "GOLDFISH_INPUTS_DIR"
  /// The folder the stage writes its outputs into.
  public static let outputsDirVariable = "GOLDFISH_OUTPUTS_DIR"
  /// The stage config as JSON text (the host sends a file instead; the library reads either).
  public static let stageConfigVariable = "GOLDFISH_STAGE_CONFIG"
  /// The stage config file, relative to the inputs folder.
  public static let stageConfigFileVariable = "GOLDFISH_STAGE_CONFIG_FILE"
  public static let runIDVariable = "GOLDFISH_RUN_ID"
  public static let pipelineRunIDVariable = "GOLDFISH_PIPELINE_RUN_ID"
  public static let workspaceVariable = "GOLDFISH_WORKSPACE"
  public static let stageVariable = "GOLDFISH_STAGE"
  public static let projectNameVariable = "GOLDFISH_PROJECT_NAME"
  public static let versionVariable = "GOLDFISH_VERSION"
  public static let gitSHAVariable = "GOLDFISH_GIT_SHA"
  /// Where the host found the stage library; it is on PYTHONPATH as well.
  public static let pythonPathVariable = "GOLDFISH_PYTHON_PATH"

  /// Every variable the stage library reads to build its context.
  public static let libraryVariables = [
    stageConfigVariable, stageConfigFileVariable, runIDVariable, workspaceVariable, stageVariable,
    projectNameVariable, gitSHAVariable, inputsDirVariable, outputsDirVariable,
  ]

  /// The stage config's file name in the inputs folder: no signal name has a dot, so no input
  /// can take it.
  public static let stageConfigFileName = "goldfish.stage_config.json"
  /// The library's own folder inside the outputs folder: the manifest and the metrics.
  public static let runtimeFolder = ".goldfish"
  /// What each saved output is (`{path, type, format, artifact}` per output name).
  public static let outputsManifestFileName = "outputs.json"
  /// One JSON line per metric the stage logged.
  public static let metricsFileName = "metrics.jsonl"
  /// The folders the library assumes when the variables are unset (inside a container).
  public static let defaultInputsDir = "/mnt/inputs"
  public static let defaultOutputsDir = "/mnt/outputs"

  public static func outputsManifest(outputsDir: String) -> String {
    outputsDir + "/" + runtimeFolder + "/" + outputsManifestFileName
  }

  public static func metricsFile(outputsDir: String) -> String {
    outputsDir + "/" + runtimeFolder + "/" + metricsFileName
  }

  /// Made when the stage is asked to stop cleanly; goldfish.io's should_stop() looks for it.
  public static let stopFileName = "stop_requested"

  public static func stopFile(outputsDir: String) -> String {
    outputsDir + "/" + runtimeFolder + "/" + stopFileName
  }
}
