import PluginKit

/// How a worker whose machine is up answers a probe: from the status.json its agent keeps, and
/// the exit record of the run that status names (never another run's: upstream §5.7 #36).
extension WorkerProbe {
  public static func alive(status: AgentWorkerStatus?, mailbox: some MailboxStore) throws(PluginError) -> WorkerProbe {
    let state: String
    switch status?.state {
    case nil, .starting?: state = "starting"
    case .idle?: state = "idle"
    case .busy?: state = "busy"
    case .stopping?, .exited?: state = "stopping"
    }
    var exitCode: Int?
    if let runId = status?.runId {
      exitCode = try mailbox.getJSON(AgentExit.self, try MailboxLayout.exit(run: runId))?.exitCode
    }
    return WorkerProbe(liveness: .alive, state: state, runId: status?.runId, exitCode: exitCode)
  }
}
