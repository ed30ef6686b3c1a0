import Foundation
import PluginKit
import PluginSupport

/// Warm reuse for local runs: each worker is a long-lived goldfish-agent (docs/warm-pool.md).
/// The host decides which worker gets a job and when one goes; this only does the mechanics.
extension ProcessBackend {
  var warmRoot: String {
    get throws(PluginError) {
      guard let stateDir else {
        throw PluginError(
          .unsupported, "warm workers need a project: the process backend was opened without a state folder")
      }
      return stateDir + "/warm"
    }
  }

  func mailbox() throws(PluginError) -> FileMailboxStore {
    try FileMailboxStore(root: try warmRoot + "/mailbox")
  }

  func agentBinary() throws(PluginError) -> String {
    let candidate = configuredAgent ?? URL(fileURLWithPath: runner).deletingLastPathComponent().path + "/goldfish-agent"
    guard FileManager.default.isExecutableFile(atPath: candidate) else {
      throw PluginError(
        .invalidArgument, "cannot find goldfish-agent, which runs warm workers; looked at \(candidate)",
        detail: ["hint": "install it next to goldfish-runner or set process.agent in goldfish.yaml"])
    }
    return candidate
  }

  /// The job a run spec becomes on a worker: sandboxed as an ordinary run would be.
  func job(for spec: RunSpec, worker: LocalWorker, preservePaths: [String]) throws(PluginError) -> AgentJob {
    var job = AgentJob(spec: spec)
    job.preservePaths = preservePaths
    // The host staged local inputs already; a link avoids copying them again.
    job.inputs = job.inputs.map { AgentInput(name: $0.name, source: $0.source, link: true) }
    try POSIXFile.makeDirectories(spec.workDir)
    if let outputs = spec.outputsDir { try POSIXFile.makeDirectories(outputs) }
    var environment = spec.env
    let workRoot = worker.config?.workRoot ?? worker.folder + "/work"
    job.command = try sandboxed(
      spec, environment: &environment, cwd: spec.codeDir ?? spec.workDir,
      alsoReadable: [RunLayout.inputsDir(workDir: workRoot)])
    job.env = environment
    try job.validate()
    return job
  }

  /// Refuses a run id that any worker has already seen: one run id runs at most once.
  func refuseKnownRun(_ runId: String, in mailbox: FileMailboxStore) throws(PluginError) {
    try WorkerIdentifier.validate(runId, "run id")
    let claimed = try mailbox.exists(try MailboxLayout.claimed(run: runId))
    let exited = try mailbox.exists(try MailboxLayout.exit(run: runId))
    if claimed || exited {
      throw PluginError(
        .alreadyExists, "run \(runId) was already delivered to a worker", detail: ["run_id": .string(runId)])
    }
  }

  func launchWarm(_ spec: RunSpec, options: WorkerOptions) throws(PluginError) -> JSONValue {
    let mailbox = try mailbox()
    try refuseKnownRun(spec.runId, in: mailbox)
    let workerId = options.workerId ?? "process-" + UUID().uuidString.lowercased().prefix(12)
    try WorkerIdentifier.validate(workerId, "worker id")
    let worker = LocalWorker(id: workerId, folder: try warmRoot + "/workers/" + workerId, mailbox: mailbox)
    if worker.supervisor != nil {
      throw PluginError(
        .alreadyExists, "worker \(workerId) was already started", detail: ["worker_id": .string(workerId)])
    }
    let config = AgentConfig(
      workerId: workerId, mailbox: mailbox.rootURI, workRoot: worker.folder + "/work",
      idleTimeoutSeconds: options.idleTimeoutSeconds, lifetimeSeconds: options.lifetimeSeconds,
      preservePaths: options.preservePaths, pollIntervalMs: AgentConfig.localPollIntervalMs, labels: spec.labels)
    try config.validate()
    // The first job waits in the mailbox before the agent starts, so it is its first pick.
    try mailbox.putJSON(
      try MailboxLayout.job(worker: workerId, run: spec.runId), try job(for: spec, worker: worker, preservePaths: []))
    try worker.start(
      config: config, runner: runner, agent: try agentBinary(), environment: Self.inheritedEnvironment())
    return runHandle(spec, worker: worker)
  }

  func runHandle(_ spec: RunSpec, worker: LocalWorker) -> JSONValue {
    var handle: JSONValue = [
      "run_id": .string(spec.runId), "backend": "process", "work_dir": .string(spec.workDir),
      "worker": worker.handle,
    ]
    markUnsandboxed(&handle)
    return handle
  }

  func deliverJob(worker handle: JSONValue, spec: RunSpec) throws(PluginError) -> JSONValue {
    try Self.validate(spec)
    let worker = try LocalWorker.of(handle)
    guard worker.isAlive else {
      throw PluginError(.conflict, "worker \(worker.id) is not running; nothing was delivered")
    }
    guard try worker.isIdle() else {
      throw PluginError(
        .conflict,
        "worker \(worker.id) is not idle (\(worker.status?.state.rawValue ?? "no status yet")); nothing was delivered")
    }
    try refuseKnownRun(spec.runId, in: worker.mailbox)
    let job = try job(for: spec, worker: worker, preservePaths: spec.worker?.preservePaths ?? [])
    try worker.mailbox.putJSON(try MailboxLayout.job(worker: worker.id, run: spec.runId), job)
    return runHandle(spec, worker: worker)
  }

  func probeWorker(_ handle: JSONValue) throws(PluginError) -> WorkerProbe {
    let worker = try LocalWorker.of(handle)
    guard FileManager.default.fileExists(atPath: worker.folder) else {
      return WorkerProbe(liveness: .notFound, message: "worker \(worker.id) has no folder; it is gone")
    }
    guard let supervisor = worker.supervisor else {
      return WorkerProbe(liveness: .error, message: "worker \(worker.id) has not recorded its supervisor yet")
    }
    // The handle's identity must match what the folder records, or this is another worker.
    if let pid = handle["pid"]?.intValue, let start = handle["start_time"]?.intValue,
      pid != Int64(supervisor.pid) || start != Int64(supervisor.startTime)
    {
      return WorkerProbe(liveness: .notFound, message: "worker \(worker.id) was replaced by another process")
    }
    let status = worker.status
    guard supervisor.isAlive else {
      return WorkerProbe(
        liveness: .dead, state: "stopping", runId: status?.runId,
        message: "worker \(worker.id) is no longer running (last state: \(status?.state.rawValue ?? "unknown"))")
    }
    return try .alive(status: status, mailbox: worker.mailbox)
  }

  /// SIGTERM to the worker's supervisor (the agent stops its job and records it); confirmed
  /// only once the process is gone, and then its folder is removed. Idempotent.
  func deleteWorker(_ handle: JSONValue) throws(PluginError) -> Bool {
    let worker = try LocalWorker.of(handle)
    guard FileManager.default.fileExists(atPath: worker.folder) else { return true }
    if let supervisor = worker.supervisor, supervisor.isAlive {
      let marker = worker.folder + "/deleting"
      if !FileManager.default.fileExists(atPath: marker) {
        _ = FileManager.default.createFile(atPath: marker, contents: Data(WarmRun.now().utf8))
      }
      supervisor.signal(SIGTERM)
      // A worker past its grace period is killed outright: the agent first, its supervisor after.
      let since = (try? FileManager.default.attributesOfItem(atPath: marker)[.modificationDate] as? Date) ?? Date()
      if Date().timeIntervalSince(since) > 30 {
        if let status = worker.status, let start = status.agentStartTime {
          ProcessIdentity(pid: status.agentPid, startTime: start).signal(SIGKILL)
        }
        supervisor.signal(SIGKILL)
      }
      for _ in 0..<60 where supervisor.isAlive { usleep(50_000) }
      if supervisor.isAlive { return false }
    }
    do {
      try FileManager.default.removeItem(atPath: worker.folder)
    } catch {
      throw PluginError(
        .io, "worker \(worker.id) stopped but its folder could not be removed: \(error.localizedDescription)")
    }
    try? worker.mailbox.delete(try MailboxLayout.status(worker: worker.id))
    return true
  }

  func listWorkers(labels: [String: String]) throws(PluginError) -> [JSONValue] {
    let root = try warmRoot
    let mailbox = try mailbox()
    let names = (try? FileManager.default.contentsOfDirectory(atPath: root + "/workers")) ?? []
    return names.sorted().compactMap { name -> JSONValue? in
      guard WorkerIdentifier.isValid(name) else { return nil }
      let worker = LocalWorker(id: name, folder: root + "/workers/" + name, mailbox: mailbox)
      let workerLabels = worker.config?.labels ?? [:]
      guard labels.allSatisfy({ workerLabels[$0.key] == $0.value }) else { return nil }
      return worker.handle
    }
  }
}
