import Foundation

/// A stage run as both faces show it: `goldfish runs --json` and the MCP tools (`list_runs`,
/// `wait`, `run`, `inspect_run`). Fields carry upstream's StageRunInfo names, and every field is
/// present (null when empty), so a reader never guesses at a missing key.
public struct StageRunView: Encodable, Sendable {
  public var run: StageRunRecord

  public init(_ run: StageRunRecord) {
    self.run = run
  }

  enum Keys: String, CodingKey {
    case stageRunID = "stage_run_id", pipelineRunID = "pipeline_run_id", workspace, pipeline, version, stage
    case state, startedAt = "started_at", completedAt = "completed_at", profile, exitCode = "exit_code", error
    case reusedFrom = "reused_from", reason, unsandboxed, terminationCause = "termination_cause"
    case stateEnteredAt = "state_entered_at", backend, workDir = "work_dir"
  }

  public func encode(to encoder: any Encoder) throws {
    var fields = encoder.container(keyedBy: Keys.self)
    try fields.encode(run.id, forKey: .stageRunID)
    try fields.encode(run.pipelineRunID, forKey: .pipelineRunID)
    try fields.encode(run.workspace, forKey: .workspace)
    try fields.encode(run.pipeline, forKey: .pipeline)
    try fields.encode("v\(run.version)", forKey: .version)
    try fields.encode(run.stage, forKey: .stage)
    try fields.encode(run.state.rawValue, forKey: .state)
    try fields.encode(run.createdAt, forKey: .startedAt)
    try fields.encode(run.finishedAt, forKey: .completedAt)
    try fields.encode(run.profile, forKey: .profile)
    try fields.encode(run.exitCode, forKey: .exitCode)
    try fields.encode(run.error, forKey: .error)
    try fields.encode(run.reusedFrom, forKey: .reusedFrom)
    try fields.encode(run.reason, forKey: .reason)
    try fields.encode(run.unsandboxed, forKey: .unsandboxed)
    try fields.encode(run.terminationCause, forKey: .terminationCause)
    try fields.encode(run.stateEnteredAt, forKey: .stateEnteredAt)
    try fields.encode(run.backend, forKey: .backend)
    try fields.encode(run.workDir, forKey: .workDir)
  }
}
