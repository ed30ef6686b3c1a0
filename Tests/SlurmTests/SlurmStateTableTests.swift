import GoldfishSlurmStates
import PluginKit
import Testing

/// The Slurm state table itself. The local cluster produces PENDING, RUNNING, SUSPENDED,
/// COMPLETED, FAILED, CANCELLED, TIMEOUT and REQUEUED for real (SlurmBackendTests); a one-node
/// cluster without cgroups, preemption or node power control cannot produce OUT_OF_MEMORY,
/// PREEMPTED, BOOT_FAIL, REVOKED or SPECIAL_EXIT, so those are checked here, on the job JSON
/// slurmrestd sends (docs/slurm.md, "Job states").
@Suite("slurm job states map to Goldfish states and causes")
struct SlurmStateTableTests {
  static let table: [(String, RunState, TerminationCause?)] = [
    ("PENDING", .pending, nil), ("REQUEUED", .pending, nil), ("REQUEUE_HOLD", .pending, nil),
    ("REQUEUE_FED", .pending, nil), ("CONFIGURING", .preparing, nil), ("POWER_UP_NODE", .preparing, nil),
    ("RESIZING", .preparing, nil), ("RUNNING", .running, nil), ("COMPLETING", .running, nil),
    ("STAGE_OUT", .running, nil), ("SIGNALING", .running, nil), ("UPDATE_DB", .running, nil),
    ("SUSPENDED", .running, nil), ("STOPPED", .running, nil), ("COMPLETED", .completed, .exit),
    ("FAILED", .failed, .exit), ("SPECIAL_EXIT", .failed, .exit), ("CANCELLED", .canceled, .user),
    ("TIMEOUT", .terminated, .timeout), ("DEADLINE", .terminated, .timeout), ("OUT_OF_MEMORY", .terminated, .oom),
    ("PREEMPTED", .failed, .preemption), ("NODE_FAIL", .failed, .lost), ("BOOT_FAIL", .failed, .lost),
    ("REVOKED", .canceled, .user),
  ]

  @Test("every state of the table, as v0.0.38 writes a job")
  func everyState() throws {
    for (state, expected, cause) in Self.table {
      let job = try #require(
        SlurmJob(["job_id": 7, "job_state": .string(state), "state_reason": "None", "exit_code": 0]))
      let status = JobStateMapping.status(of: job)
      #expect(status.state == expected, "\(state): \(status)")
      #expect(status.terminationCause == cause, "\(state): \(status)")
      #expect(JobStateMapping.final.contains(state) == expected.isFinal, "\(state) final? \(status)")
    }
  }

  @Test("an unknown state is unknown, not a guess, and says which state it was")
  func unknownState() throws {
    let job = try #require(SlurmJob(["job_id": 7, "job_state": "RESV_DEL_HOLD", "state_reason": "None"]))
    let status = JobStateMapping.status(of: job)
    #expect(status.state == .unknown && status.message.contains("RESV_DEL_HOLD"), "\(status)")
  }

  @Test("v0.0.39+ shapes read the same: a list of states with flags, {return_code, signal}, {set, number}")
  func newerShapes() throws {
    let job = try #require(
      SlurmJob([
        "job_id": 9, "job_state": ["OUT_OF_MEMORY", "COMPLETING"], "state_reason": "OutOfMemory",
        "exit_code": [
          "return_code": ["set": true, "number": 0], "signal": ["signal_id": ["set": true, "number": 9]],
        ],
        "start_time": ["set": true, "infinite": false, "number": 1_796_267_970],
        "end_time": ["set": true, "infinite": false, "number": 1_796_267_990],
      ]))
    let status = JobStateMapping.status(of: job)
    #expect(status.state == .terminated && status.terminationCause == .oom, "\(status)")
    #expect(status.exitCode == 137, "\(status)")
    #expect(status.startedAt != nil && status.finishedAt != nil, "\(status)")
  }

  @Test("exit_code of v0.0.38 is a raw wait status")
  func waitStatus() {
    #expect(SlurmJob.decodeWaitStatus(768) == (3, nil))
    #expect(SlurmJob.decodeWaitStatus(15) == (143, 15))
    #expect(SlurmJob.decodeWaitStatus(0) == (0, nil))
  }
}
