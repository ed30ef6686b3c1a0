import Foundation
import PluginKit
import PluginSupport

/// One job, in the order of docs/warm-pool.md: busy + claimed.json first, per-run paths
/// from this run's id, clean, stage, run, logs, outputs, idle, exit.json last.
struct JobExecution {
  let agent: Agent
  let runId: String

  var config: AgentConfig { agent.config }
  var store: any MailboxStore { agent.store }
  var inputsFolder: String { RunLayout.inputsDir(workDir: config.workRoot) }
  var outputsFolder: String { RunLayout.outputsDir(workDir: config.workRoot) }
  var scratchFolder: String { config.workRoot + "/tmp" }

  /// Throws only when the mailbox itself fails before the claim; every later failure
  /// becomes this run's exit record.
  func run() throws(PluginError) {
    try agent.writeStatus(.busy, runId: runId)
    try store.putJSON(
      try MailboxLayout.claimed(run: runId),
      AgentClaim(runId: runId, workerId: config.workerId, bootId: agent.bootId, at: Clock.now()))
    let startedAt = Clock.now()
    let log = RunLog(runId: runId, store: store, workRoot: config.workRoot)
    var record: AgentExit
    do throws(PluginError) {
      try resetRunPaths(log)
      record = try execute(log, startedAt: startedAt)
    } catch {
      // A failure before the job started: exit code 1 for this run; the agent stays usable
      // (upstream §5.7 #21 #48).
      log.note("goldfish-agent: run \(runId) did not start: \(error.message)")
      record = AgentExit(
        runId: runId, exitCode: 1, terminationCause: .error, message: error.message, startedAt: startedAt,
        finishedAt: Clock.now(), workerId: config.workerId)
    }
    log.finish()
    agent.jobsDone += 1
    agent.writeStatusBestEffort(.idle)
    // Last: the host's signal that the run is over (upstream §5.7 #40). A failed write is
    // retried by the loop; the job itself is never run again.
    agent.pendingExits[runId] = record
    try agent.publishPendingExits()
  }

  /// Everything this run writes is keyed by its own id, and nothing of an earlier attempt
  /// of the same id survives (upstream §5.7 #2 #3).
  private func resetRunPaths(_ log: RunLog) throws(PluginError) {
    for key in try store.list(try MailboxLayout.outputsFolder(run: runId)) { try store.delete(key) }
    try log.open()
  }

  private func loadJob() throws(PluginError) -> AgentJob {
    let key = try MailboxLayout.job(worker: config.workerId, run: runId)
    guard let job = try store.getJSON(AgentJob.self, key) else {
      throw PluginError(.notFound, "the job file \(key) disappeared before it was read")
    }
    guard job.runId == runId else {
      throw PluginError(.invalidArgument, "the job file \(key) is for run \(job.runId), not \(runId)")
    }
    try job.validate()
    if job.image != nil && config.runner == .process {
      agent.log("run \(runId): image \(job.image ?? "") is ignored by the process runner")
    }
    return job
  }

  private func execute(_ log: RunLog, startedAt: String) throws(PluginError) -> AgentExit {
    let job = try loadJob()
    let keep = try (config.preservePaths + job.preservePaths).map { (p: String) throws(PluginError) in
      try PreservePath(p)
    }
    try FolderCleaner.clean(inputsFolder, root: .inputs, keep: keep)
    try FolderCleaner.clean(outputsFolder, root: .outputs, keep: keep)
    try FolderCleaner.clean(scratchFolder, root: .outputs, keep: [])
    try InputStager.stage(job.inputs, into: inputsFolder, storageOptions: config.mailboxOptions)
    let outputs = job.outputsDir.map(Self.localPath) ?? outputsFolder
    if let outputsDir = job.outputsDir { try POSIXFile.makeDirectories(Self.localPath(outputsDir)) }
    let launch = JobLaunch(
      runId: runId, argv: job.command, environment: environment(for: job, outputs: outputs),
      cwd: job.code.map(Self.localPath) ?? job.workDir.map(Self.localPath) ?? config.workRoot,
      logDescriptor: log.descriptor, image: job.image, jobEnvironment: job.env, inputsDir: inputsFolder,
      outputsDir: outputs, gpus: job.gpus ?? 0)
    // Canceled while it waited or was being staged: it never starts.
    if try store.exists(try MailboxLayout.cancel(run: runId)) {
      return AgentExit(
        runId: runId, exitCode: 1, terminationCause: .user, message: "canceled before it started",
        startedAt: startedAt, finishedAt: Clock.now(), workerId: config.workerId)
    }
    let running = try agent.runner.start(launch)

    // A job writing outputs in place (the host's folder) needs no copy of its metrics.
    let metrics =
      job.outputsDir == nil ? try? MetricsSync(runId: runId, outputsFolder: outputsFolder, store: store) : nil
    let (end, cause) = watch(running, job: job, log: log, metrics: metrics, outputs: outputs)
    running.stopLeftovers(graceSeconds: config.killGraceSeconds)
    var record = AgentExit(
      runId: runId, exitCode: end.exitCode, terminationCause: cause, startedAt: startedAt,
      finishedAt: Clock.now(), workerId: config.workerId)
    switch cause {
    case .user: record.message = "canceled"
    case .timeout: record.message = "stopped after its timeout of \(job.timeoutSeconds ?? 0) s"
    case .lost: record.message = "the worker was stopped during the job"
    // Never "out of memory" from a signal alone: only the kernel (a container's OOMKilled) says that.
    default: if let signal = end.signal { record.message = "killed by signal \(signal)\(Self.signalName(signal))" }
    }
    if let note = end.note { record.message = note }
    if job.outputsDir == nil {
      do {
        _ = try OutputUploader.upload(outputsFolder, to: try MailboxLayout.outputsFolder(run: runId), store: store)
      } catch {
        log.note("goldfish-agent: uploading the outputs of run \(runId) failed: \(error.message)")
        record.message = "uploading the outputs failed: \(error.message)"
        record.terminationCause = .error
        if record.exitCode == 0 { record.exitCode = 1 }
      }
    }
    return record
  }

  /// Waits for the job, stopping only it on cancel, timeout or a stop signal to the agent.
  private func watch(
    _ running: any RunningJob, job: AgentJob, log: RunLog, metrics: MetricsSync?, outputs: String
  ) -> (JobEnd, TerminationCause) {
    let deadline = job.timeoutSeconds.map { Clock.monotonic() + Double($0) }
    let cancelKey = try? MailboxLayout.cancel(run: runId)
    var stop = StopWatch(runId: runId, outputs: outputs)
    while true {
      if let end = running.poll() { return (end, .exit) }
      if agent.stopRequested {
        return (running.stop(graceSeconds: config.killGraceSeconds), .lost)
      }
      if let cancelKey, (try? store.exists(cancelKey)) == true {
        return (running.stop(graceSeconds: config.killGraceSeconds), .user)
      }
      if let deadline, Clock.monotonic() >= deadline {
        log.note("goldfish-agent: run \(runId) reached its timeout of \(job.timeoutSeconds ?? 0) s; stopping it")
        return (running.stop(graceSeconds: config.killGraceSeconds), .timeout)
      }
      if Clock.monotonic() - agent.lastHeartbeat >= Agent.heartbeatSeconds {
        agent.writeStatusBestEffort(.busy, runId: runId)
      }
      stop.deliverIfAsked(store: store, log: log)
      log.syncIfDue()
      metrics?.syncIfDue()
      Clock.sleep(milliseconds: config.pollIntervalMs)
    }
  }

  private func environment(for job: AgentJob, outputs: String) -> [String: String] {
    var environment: [String: String] = [:]
    for key in ["PATH", "HOME", "LANG", "LC_ALL", "TZ"] {
      if let value = ProcessInfo.processInfo.environment[key] { environment[key] = value }
    }
    environment["TMPDIR"] = job.workDir.map { Self.localPath($0) + "/tmp" } ?? scratchFolder
    if let tmp = environment["TMPDIR"] { try? POSIXFile.makeDirectories(tmp) }
    environment[StageIO.inputsDirVariable] = inputsFolder
    environment[StageIO.outputsDirVariable] = outputs
    // The job's own values win, GOLDFISH_* included: the backend knows where it put things.
    environment.merge(job.env) { _, job in job }
    return environment
  }

  static func signalName(_ signal: Int32) -> String {
    let names: [Int32: String] = [
      SIGHUP: "SIGHUP", SIGINT: "SIGINT", SIGQUIT: "SIGQUIT", SIGILL: "SIGILL", SIGABRT: "SIGABRT", SIGBUS: "SIGBUS",
      SIGFPE: "SIGFPE", SIGKILL: "SIGKILL", SIGSEGV: "SIGSEGV", SIGPIPE: "SIGPIPE", SIGTERM: "SIGTERM",
    ]
    return names[signal].map { " (\($0))" } ?? ""
  }

  static func localPath(_ path: String) -> String {
    path.hasPrefix("file://") ? String(path.dropFirst("file://".count)) : path
  }
}
