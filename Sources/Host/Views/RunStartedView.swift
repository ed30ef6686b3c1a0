/// A run just started (not waited for), as `goldfish run --json` and MCP `run` answer it, with
/// the MCP field names: the pipeline run, its version and one queued entry per stage.
public struct RunStartedView: Encodable, Sendable {
  public var started: Executor.Started
  public var experimentGroup: String?

  public init(_ started: Executor.Started, experimentGroup: String?) {
    self.started = started
    self.experimentGroup = experimentGroup
  }

  struct Queued: Encodable {
    var stage: String
    var stageRunID: String
    var pipelineRunID: String
    enum CodingKeys: String, CodingKey {
      case stage, stageRunID = "stage_run_id", pipelineRunID = "pipeline_run_id"
    }
  }

  enum Keys: String, CodingKey {
    case pipelineRunID = "pipeline_run_id", workspace, version, stagesQueued = "stages_queued", status, queued
    case experimentGroup = "experiment_group"
  }

  public func encode(to encoder: any Encoder) throws {
    let order = started.stageRuns.sorted { $0.key < $1.key }
    var fields = encoder.container(keyedBy: Keys.self)
    try fields.encode(started.pipelineRunID, forKey: .pipelineRunID)
    try fields.encode(started.workspace, forKey: .workspace)
    try fields.encode(started.version, forKey: .version)
    try fields.encode(order.map(\.key), forKey: .stagesQueued)
    try fields.encode("started", forKey: .status)
    try fields.encode(
      order.map { Queued(stage: $0.key, stageRunID: $0.value, pipelineRunID: started.pipelineRunID) }, forKey: .queued)
    try fields.encode(experimentGroup, forKey: .experimentGroup)
  }
}
