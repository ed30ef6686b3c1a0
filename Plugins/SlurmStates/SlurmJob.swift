import Foundation
import PluginKit

/// One job as slurmrestd describes it, read leniently: v0.0.36–v0.0.38 write `job_state` as a
/// string, `exit_code` as a raw wait status and times as numbers; later versions use a list of
/// states, `{return_code, signal}` and `{set, number}`, which read the same way here.
public struct SlurmJob: Sendable, Equatable {
  public var jobId: Int64
  public var name: String
  /// The base state (`PENDING`, `TIMEOUT`, …) without flags.
  public var state: String
  public var reason: String
  /// The job's own exit code, or 128 + N when signal N ended it.
  public var exitCode: Int?
  public var signal: Int?
  public var comment: String
  public var startTime: Int64?
  public var endTime: Int64?

  public init?(_ json: JSONValue) {
    guard let id = Self.number(json["job_id"]) else { return nil }
    jobId = id
    name = json["name"]?.stringValue ?? ""
    switch json["job_state"] {
    case .string(let text)?: state = Self.baseState(text)
    case .array(let states)?: state = states.compactMap(\.stringValue).first.map(Self.baseState) ?? "UNKNOWN"
    default: state = "UNKNOWN"
    }
    reason = json["state_reason"]?.stringValue ?? "None"
    comment = json["comment"]?.stringValue ?? ""
    startTime = Self.number(json["start_time"]).flatMap { $0 > 0 ? $0 : nil }
    endTime = Self.number(json["end_time"]).flatMap { $0 > 0 ? $0 : nil }
    switch json["exit_code"] {
    case .object(let fields)?:
      let signal = Self.number(fields["signal"]?["signal_id"]).map { Int($0) }.flatMap { $0 > 0 ? $0 : nil }
      self.signal = signal
      exitCode = signal.map { 128 + $0 } ?? Self.number(fields["return_code"]).map { Int($0) }
    case let raw?:
      if let status = Self.number(raw) {
        (exitCode, signal) = Self.decodeWaitStatus(Int(status))
      }
    case nil:
      break
    }
  }

  /// `exit_code` of v0.0.38 is a raw wait status: 768 is exit 3, 15 is SIGTERM.
  public static func decodeWaitStatus(_ status: Int) -> (Int, Int?) {
    let signal = status & 0x7f
    if signal != 0 && signal != 0x7f { return (128 + signal, signal) }
    return ((status >> 8) & 0xff, nil)
  }

  /// `CANCELLED by 0` and flags such as `+` or `COMPLETING` after a space are not the state.
  public static func baseState(_ text: String) -> String {
    String(text.split(separator: " ").first ?? "UNKNOWN").trimmingCharacters(in: CharacterSet(charactersIn: "+"))
      .uppercased()
  }

  public static func number(_ value: JSONValue?) -> Int64? {
    switch value {
    case .int(let number)?: return number
    case .double(let number)?: return Int64(number)
    case .object(let fields)?:
      guard fields["set"]?.boolValue != false, fields["infinite"]?.boolValue != true else { return nil }
      return fields["number"]?.intValue
    default: return nil
    }
  }

  public static func time(_ seconds: Int64?) -> String? {
    seconds.map { ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval($0))) }
  }
}

/// Every Slurm job state, and what it means for a Goldfish run. A module of its own so that
/// the tests check the table itself for the states a one-node test cluster cannot produce.
public enum JobStateMapping {
  /// States of a job that is over; anything else may still change.
  public static let final: Set<String> = [
    "COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "PREEMPTED", "NODE_FAIL", "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE",
    "SPECIAL_EXIT", "REVOKED",
  ]

  public static func status(of job: SlurmJob) -> RunStatus {
    let started = SlurmJob.time(job.startTime)
    let ended = final.contains(job.state) ? SlurmJob.time(job.endTime) : nil
    let id = "Slurm job \(job.jobId)"
    func end(_ state: RunState, _ cause: TerminationCause, _ message: String) -> RunStatus {
      RunStatus(
        state: state, exitCode: job.exitCode, terminationCause: cause, message: message, startedAt: started,
        finishedAt: ended)
    }
    switch job.state {
    case "PENDING":
      return RunStatus(state: .pending, message: "\(id) is pending: \(explain(job.reason))")
    case "REQUEUED", "REQUEUE_FED", "REQUEUE_HOLD":
      return RunStatus(state: .pending, message: "\(id) was requeued (\(job.state)): \(explain(job.reason))")
    case "CONFIGURING", "RESIZING", "POWER_UP_NODE":
      return RunStatus(state: .preparing, message: "\(id) is \(job.state.lowercased()) on its nodes")
    case "RUNNING", "COMPLETING", "STAGE_OUT", "SIGNALING", "UPDATE_DB":
      return RunStatus(state: .running, message: "\(id) is running", startedAt: started)
    case "SUSPENDED", "STOPPED":
      return RunStatus(
        state: .running, message: "\(id) is \(job.state.lowercased()) by Slurm (\(explain(job.reason)))",
        startedAt: started)
    case "COMPLETED":
      return RunStatus(
        state: .completed, exitCode: job.exitCode ?? 0, terminationCause: .exit, message: "\(id) completed",
        startedAt: started, finishedAt: ended)
    case "FAILED" where job.reason == "JobLaunchFailure":
      return end(.failed, .error, "\(id) could not be launched on its node (JobLaunchFailure)")
    case "FAILED", "SPECIAL_EXIT":
      return end(.failed, .exit, "\(id) failed with exit code \(job.exitCode ?? 1) (\(job.reason))")
    case "CANCELLED":
      return end(.canceled, .user, "\(id) was cancelled")
    case "TIMEOUT":
      return end(.terminated, .timeout, "\(id) reached its Slurm time limit")
    case "DEADLINE":
      return end(.terminated, .timeout, "\(id) reached its deadline")
    case "OUT_OF_MEMORY":
      return end(.terminated, .oom, "\(id) ran out of memory")
    case "PREEMPTED":
      return end(.failed, .preemption, "\(id) was preempted")
    case "NODE_FAIL":
      return end(.failed, .lost, "\(id) lost its node (NODE_FAIL)")
    case "BOOT_FAIL":
      return end(.failed, .lost, "\(id) could not boot its node (BOOT_FAIL)")
    case "REVOKED":
      return end(.canceled, .user, "\(id) was revoked (it runs on another cluster of the federation)")
    default:
      return RunStatus(state: .unknown, message: "\(id) is in the Slurm state \(job.state) (\(explain(job.reason)))")
    }
  }

  /// The pending reason with a word for the common ones.
  public static func explain(_ reason: String) -> String {
    let words: [String: String] = [
      "None": "waiting for the scheduler", "Priority": "Priority (jobs of higher priority go first)",
      "Resources": "Resources (waiting for free nodes)", "PartitionDown": "PartitionDown (the partition is down)",
      "PartitionConfig": "PartitionConfig (the request cannot fit the partition)",
      "BeginTime": "BeginTime (not before its begin time)", "Dependency": "Dependency (waiting for another job)",
      "JobHeldUser": "JobHeldUser (held by its user)", "JobHeldAdmin": "JobHeldAdmin (held by an administrator)",
      "QOSMaxJobsPerUserLimit": "QOSMaxJobsPerUserLimit (the QoS job limit is reached)",
      "AssocMaxJobsLimit": "AssocMaxJobsLimit (the account's job limit is reached)",
      "ReqNodeNotAvail": "ReqNodeNotAvail (a requested node is unavailable)",
    ]
    return words[reason] ?? reason
  }
}
