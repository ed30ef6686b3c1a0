import Foundation

/// Where a run stands, a pipeline run (`prun-…`) with its stage runs or one stage run: what
/// `goldfish run --wait --json` prints when the run ends and what MCP `wait` answers.
public struct RunStatusView: Encodable, Sendable {
  public var runID: String
  public var finished: Bool
  /// A pipeline run's status (`running`, `completed`, `failed`) or a stage run's state.
  public var status: String
  public var error: String?
  public var stageRuns: [StageRunRecord]
  /// How long the caller waited, when it did.
  public var elapsedSeconds: Double?

  public init(pipelineRun: PipelineRunRecord, stageRuns: [StageRunRecord]) {
    runID = pipelineRun.id
    finished = pipelineRun.status != "running"
    status = pipelineRun.status
    error = pipelineRun.error
    self.stageRuns = stageRuns
  }

  public init(stageRun: StageRunRecord) {
    runID = stageRun.id
    finished = stageRun.state.isSettled
    status = stageRun.state.rawValue
    error = stageRun.error
    stageRuns = [stageRun]
  }

  static let listHint = "list recent runs: goldfish runs (MCP: list_runs)"

  /// The run `runID` names, as the store has it now.
  public static func current(_ runID: String, in store: ProjectStore) throws(GoldfishError) -> RunStatusView {
    if runID.hasPrefix("prun-") {
      guard let pipeline = try store.pipelineRun(runID) else {
        throw GoldfishError(.notFound, "no pipeline run \(RunIdentifiers.display(runID))", hint: Self.listHint)
      }
      return RunStatusView(pipelineRun: pipeline, stageRuns: try store.stageRuns(ofPipelineRun: runID))
    }
    guard let run = try store.stageRun(runID) else {
      throw GoldfishError(.notFound, "no run \(RunIdentifiers.display(runID))", hint: Self.listHint)
    }
    return RunStatusView(stageRun: run)
  }

  enum Keys: String, CodingKey {
    case runID = "run_id", finished, status, error, stageRuns = "stage_runs", elapsedSeconds = "elapsed_seconds"
  }

  public func encode(to encoder: any Encoder) throws {
    var fields = encoder.container(keyedBy: Keys.self)
    try fields.encode(runID, forKey: .runID)
    try fields.encode(finished, forKey: .finished)
    try fields.encode(status, forKey: .status)
    try fields.encode(error, forKey: .error)
    try fields.encode(stageRuns.map(StageRunView.init), forKey: .stageRuns)
    if let elapsedSeconds { try fields.encode((elapsedSeconds * 10).rounded() / 10, forKey: .elapsedSeconds) }
  }
}
