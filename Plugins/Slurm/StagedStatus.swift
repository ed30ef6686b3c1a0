import Foundation
import GoldfishSlurmStates
import PluginKit

/// Status in `data: object-storage` mode. The agent's exit record (brought home with the
/// outputs by `slurm-collect`) is the answer when it is there; Slurm's state is asked while
/// there is none, and decides when the agent itself was stopped (a cancel, a preemption, a
/// node failure signal the job's processes, and the agent can only say it was stopped).
extension SlurmBackend {
  func stagedStatus(_ handle: SlurmRunHandle, _ staging: ObjectStaging) throws(PluginError) -> RunStatus {
    let files = handle.files
    if let final = files.read(files.finalRecord), let kept = try? JSONCoding.convert(final, to: RunStatus.self) {
      return kept
    }
    if files.read(files.agentExitRecord) == nil { try staging.collect(handle) }
    if let exit = files.read(files.agentExitRecord) { return try agentFinished(handle, exit) }
    guard let job = try currentJob(handle) else {
      try staging.collect(handle)
      if let exit = files.read(files.agentExitRecord) { return try agentFinished(handle, exit) }
      return keep(gone(handle), files)
    }
    let status = JobStateMapping.status(of: job)
    guard status.state.isFinal else { return status }
    // The record may have landed between the two reads.
    try staging.collect(handle)
    if let exit = files.read(files.agentExitRecord) { return try agentFinished(handle, exit) }
    return keep(status, files)
  }

  /// The job as slurmctld holds it, or nil once it is purged (or never was).
  func currentJob(_ handle: SlurmRunHandle) throws(PluginError) -> SlurmJob? {
    let answer: JSONValue
    do {
      answer = try client.call("GET", "/job/\(handle.jobId)")
    } catch  where error.code == .notFound {
      return nil
    }
    let entry = answer["jobs"]?.arrayValue?.first { SlurmJob.number($0["job_id"]) == handle.jobId }
    return entry.flatMap(SlurmJob.init)
  }

  /// The agent's record (`AgentExit`: exit_code, termination_cause, message, times).
  func agentFinished(_ handle: SlurmRunHandle, _ exit: JSONValue) throws(PluginError) -> RunStatus {
    let code = exit["exit_code"]?.intValue.map { Int($0) } ?? 1
    let cause = exit["termination_cause"]?.stringValue.flatMap(TerminationCause.init(rawValue:)) ?? .exit
    let started = exit["started_at"]?.stringValue
    let finished = exit["finished_at"]?.stringValue
    let job = "Slurm job \(handle.jobId)"
    let note = exit["message"]?.stringValue ?? ""
    func ended(_ state: RunState, _ message: String) -> RunStatus {
      RunStatus(
        state: state, exitCode: code, terminationCause: cause, message: message, startedAt: started,
        finishedAt: finished)
    }
    switch cause {
    case .exit:
      return ended(code == 0 ? .completed : .failed, code == 0 ? "\(job) completed" : "\(job) exited with code \(code)")
    case .timeout:
      return ended(.terminated, "\(job) passed its timeout_seconds and was stopped")
    case .user:
      return ended(.canceled, "\(job) was canceled")
    case .lost:
      // The agent was signalled: Slurm says by what (scancel, preemption, node failure, time limit).
      guard let slurm = try currentJob(handle) else { return keep(ended(.failed, "\(job): \(note)"), handle.files) }
      var status = JobStateMapping.status(of: slurm)
      guard status.state.isFinal else { return status }
      if slurm.state == "COMPLETED" || slurm.state == "FAILED" { status = ended(.failed, "\(job): \(note)") }
      status.startedAt = started ?? status.startedAt
      return keep(status, handle.files)
    default:
      return ended(.failed, note.isEmpty ? "\(job) failed (\(cause.rawValue))" : "\(job): \(note)")
    }
  }

  /// A final answer that depended on Slurm is kept: Slurm forgets the job after MinJobAge.
  func keep(_ status: RunStatus, _ files: RunFiles) -> RunStatus {
    if status.state.isFinal { try? files.write(try JSONCoding.value(of: status), to: files.finalRecord) }
    return status
  }
}
