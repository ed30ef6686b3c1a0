import CAgentSupport
import Foundation
import PluginKit
import PluginSupport

/// The worker loop: wait for a job in `workers/<id>/jobs/`, run it in the order of
/// docs/warm-pool.md, go back to waiting; leave after the idle timeout, the lifetime, the
/// job cap or a stop signal, never in the middle of a job.
final class Agent {
  let config: AgentConfig
  let store: any MailboxStore
  let runner: any JobRunner
  let bootId = UUID().uuidString.lowercased()
  let startedAt = Clock.now()
  let startedMonotonic = Clock.monotonic()
  let identity: ProcessIdentity
  var jobsDone = 0
  var lastActivity = Clock.monotonic()
  var lastHeartbeat = 0.0
  /// Job keys already reported as unusable, so a bad file name is logged once, not every poll.
  var ignoredKeys: Set<String> = []
  /// Exit records of jobs that ran but could not be published yet (the mailbox failed).
  var pendingExits: [String: AgentExit] = [:]

  static let heartbeatSeconds = 10.0
  /// An error branch waits at least this long before trying again (upstream §5.7 #31).
  static let errorPauseMilliseconds = 1000

  init(config: AgentConfig, store: any MailboxStore, runner: any JobRunner) {
    self.config = config
    self.store = store
    self.runner = runner
    let pid = getpid()
    identity = ProcessIdentity(pid: pid, startTime: ProcessIdentity.stat(pid)?.startTime ?? 0)
  }

  var stopRequested: Bool { gf_agent_stop_requested() != 0 }

  func run() -> Int32 {
    writeStatusBestEffort(.starting)
    do {
      try markUnfinishedJobsLost()
    } catch {
      log("could not check for jobs a previous start left unfinished: \(error)")
    }
    writeStatusBestEffort(.idle)
    var reason = "stopped"
    while true {
      if stopRequested { reason = "asked to stop"; break }
      if let cap = config.maxJobs, jobsDone >= cap { reason = "ran its \(cap) jobs"; break }
      let now = Clock.monotonic()
      if let idle = config.idleTimeoutSeconds, now - lastActivity >= Double(idle) {
        reason = "idle for \(idle) s"
        break
      }
      if let lifetime = config.lifetimeSeconds, now - startedMonotonic >= Double(lifetime) {
        reason = "reached its lifetime of \(lifetime) s"
        break
      }
      do {
        try publishPendingExits()
        if let runId = try nextJob() {
          try JobExecution(agent: self, runId: runId).run()
          lastActivity = Clock.monotonic()
          continue
        }
        if now - lastHeartbeat >= Self.heartbeatSeconds { try writeStatus(.idle) }
      } catch {
        log("\(error)")
        Clock.sleep(milliseconds: Self.errorPauseMilliseconds)
      }
      Clock.sleep(milliseconds: config.pollIntervalMs)
    }
    log("exiting: \(reason)")
    do {
      try publishPendingExits()
    } catch {
      log("leaving with unpublished exit records for \(pendingExits.keys.sorted()): \(error)")
    }
    writeStatusBestEffort(.exited)
    return 0
  }

  /// The first job in the mailbox that has no exit record yet. A job with one is finished
  /// (maybe by a previous start) and is never run again (upstream §5.7 #37).
  func nextJob() throws(PluginError) -> String? {
    for key in try store.list(try MailboxLayout.jobsFolder(worker: config.workerId)) {
      guard let runId = MailboxLayout.runId(ofJobKey: key) else {
        if ignoredKeys.insert(key).inserted { log("ignoring \(key): not <run id>.json") }
        continue
      }
      if pendingExits[runId] != nil { continue }
      if try store.exists(try MailboxLayout.exit(run: runId)) {
        try store.delete(key)
        continue
      }
      return runId
    }
    return nil
  }

  /// Writes the exit records still owed, then removes their job files.
  func publishPendingExits() throws(PluginError) {
    for (runId, record) in pendingExits.sorted(by: { $0.key < $1.key }) {
      try store.putJSON(try MailboxLayout.exit(run: runId), record)
      pendingExits[runId] = nil
      try store.delete(try MailboxLayout.job(worker: config.workerId, run: runId))
    }
  }

  /// A job claimed by an earlier start of this worker but never finished (a crash, a reboot)
  /// is reported lost, not run again.
  func markUnfinishedJobsLost() throws(PluginError) {
    for key in try store.list(try MailboxLayout.jobsFolder(worker: config.workerId)) {
      guard let runId = MailboxLayout.runId(ofJobKey: key) else { continue }
      let exitKey = try MailboxLayout.exit(run: runId)
      if try store.exists(exitKey) {
        try store.delete(key)
        continue
      }
      guard try store.exists(try MailboxLayout.claimed(run: runId)) else { continue }
      let record = AgentExit(
        runId: runId, exitCode: 1, terminationCause: .lost,
        message: "the worker stopped while this job ran (crash or reboot); it is not run again",
        finishedAt: Clock.now(), workerId: config.workerId)
      try store.putJSON(exitKey, record)
      try store.delete(key)
      log("run \(runId) was claimed by an earlier start and never finished: reported lost")
    }
  }

  func writeStatus(_ state: AgentWorkerState, runId: String? = nil) throws(PluginError) {
    let status = AgentWorkerStatus(
      workerId: config.workerId, state: state, runId: runId, agentPid: identity.pid,
      agentStartTime: identity.startTime, bootId: bootId, jobsDone: jobsDone, heartbeatAt: Clock.now(),
      startedAt: startedAt)
    try store.putJSON(try MailboxLayout.status(worker: config.workerId), status)
    lastHeartbeat = Clock.monotonic()
  }

  func writeStatusBestEffort(_ state: AgentWorkerState, runId: String? = nil) {
    do {
      try writeStatus(state, runId: runId)
    } catch {
      log("could not write status \(state.rawValue): \(error)")
    }
  }

  /// The agent's own diagnostics go to stderr (its supervisor keeps them); a job's output
  /// goes to that run's log.
  func log(_ message: String) {
    FileHandle.standardError.write(Data("goldfish-agent[\(config.workerId)] \(Clock.now()) \(message)\n".utf8))
  }
}
