import PluginKit

/// What a worker says about itself in `workers/<id>/status.json`.
public enum AgentWorkerState: String, Codable, Sendable, CaseIterable {
  case starting, idle, busy, stopping, exited
}

public struct AgentWorkerStatus: Codable, Sendable, Equatable {
  private enum CodingKeys: String, CodingKey {
    case workerId = "worker_id"
    case state
    case runId = "run_id"
    case agentPid = "agent_pid"
    case agentStartTime = "agent_start_time"
    case bootId = "boot_id"
    case jobsDone = "jobs_done"
    case heartbeatAt = "heartbeat_at"
    case startedAt = "started_at"
  }

  public var workerId: String
  public var state: AgentWorkerState
  /// The run being worked on while busy; nil otherwise.
  public var runId: String?
  public var agentPid: Int32
  /// The agent's start time in clock ticks (/proc/PID/stat field 22): with the pid, an
  /// identity a recycled pid can never match.
  public var agentStartTime: UInt64?
  /// Changes on every agent start, so a restarted worker is told apart from the old one.
  public var bootId: String
  public var jobsDone: Int
  public var heartbeatAt: String
  public var startedAt: String

  public init(
    workerId: String, state: AgentWorkerState, runId: String? = nil, agentPid: Int32,
    agentStartTime: UInt64? = nil, bootId: String, jobsDone: Int, heartbeatAt: String, startedAt: String
  ) {
    self.workerId = workerId
    self.state = state
    self.runId = runId
    self.agentPid = agentPid
    self.agentStartTime = agentStartTime
    self.bootId = bootId
    self.jobsDone = jobsDone
    self.heartbeatAt = heartbeatAt
    self.startedAt = startedAt
  }

  public func encode(to encoder: Encoder) throws {
    // run_id is written even when null: readers of other languages see every key.
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(workerId, forKey: .workerId)
    try c.encode(state, forKey: .state)
    try c.encode(runId, forKey: .runId)
    try c.encode(agentPid, forKey: .agentPid)
    try c.encodeIfPresent(agentStartTime, forKey: .agentStartTime)
    try c.encode(bootId, forKey: .bootId)
    try c.encode(jobsDone, forKey: .jobsDone)
    try c.encode(heartbeatAt, forKey: .heartbeatAt)
    try c.encode(startedAt, forKey: .startedAt)
  }
}

/// `runs/<run_id>/claimed.json`: written by the agent before anything else about a job.
public struct AgentClaim: Codable, Sendable, Equatable {
  private enum CodingKeys: String, CodingKey {
    case runId = "run_id"
    case workerId = "worker_id"
    case bootId = "boot_id"
    case at
  }

  public var runId: String
  public var workerId: String
  public var bootId: String
  public var at: String

  public init(runId: String, workerId: String, bootId: String, at: String) {
    self.runId = runId
    self.workerId = workerId
    self.bootId = bootId
    self.at = at
  }
}

/// `runs/<run_id>/exit.json`: written LAST, the host's signal that the run is over.
public struct AgentExit: Codable, Sendable, Equatable {
  private enum CodingKeys: String, CodingKey {
    case runId = "run_id"
    case exitCode = "exit_code"
    case terminationCause = "termination_cause"
    case message
    case startedAt = "started_at"
    case finishedAt = "finished_at"
    case workerId = "worker_id"
  }

  public var runId: String
  public var exitCode: Int
  public var terminationCause: TerminationCause
  public var message: String
  public var startedAt: String?
  public var finishedAt: String
  public var workerId: String

  public init(
    runId: String, exitCode: Int, terminationCause: TerminationCause, message: String = "",
    startedAt: String? = nil, finishedAt: String, workerId: String
  ) {
    self.runId = runId
    self.exitCode = exitCode
    self.terminationCause = terminationCause
    self.message = message
    self.startedAt = startedAt
    self.finishedAt = finishedAt
    self.workerId = workerId
  }

  /// The run status this record stands for.
  public var runStatus: RunStatus {
    let state: RunState
    switch terminationCause {
    case .exit: state = exitCode == 0 ? .completed : .failed
    case .user: state = .canceled
    case .timeout, .oom, .preemption: state = .terminated
    case .lost, .error: state = .failed
    }
    return RunStatus(
      state: state, exitCode: exitCode, terminationCause: terminationCause, message: message,
      startedAt: startedAt, finishedAt: finishedAt)
  }
}

/// `runs/<run_id>/cancel.json`: the host asks the agent to stop this run (and only it).
public struct AgentCancel: Codable, Sendable, Equatable {
  public var runId: String
  public var reason: String?
  public var at: String

  private enum CodingKeys: String, CodingKey {
    case runId = "run_id"
    case reason
    case at
  }

  public init(runId: String, reason: String? = nil, at: String) {
    self.runId = runId
    self.reason = reason
    self.at = at
  }
}
