import Foundation
import PluginKit

/// Watches launched runs and finalises finished ones: outputs into object storage with their
/// hashes, lineage rows, metrics, logs, and the run's final state with its reason.
struct StageFinalizer {
  let services: ExecutionServices
  /// Failed polls of this driver's runs (PollWatch): each logged, their number bounded.
  var watch = PollWatch()

  var project: Project { services.project }
  var store: ProjectStore { project.store }

  /// Checks a launching or running stage run against its backend.
  func poll(_ run: StageRunRecord) throws(GoldfishError) {
    guard let handle = run.backendHandle.flatMap({ try? JSONCoding.parse($0) }) else {
      // Launch was never attempted: the launcher died before storing a handle.
      try store.transition(
        run.id, .launchFail, TransitionContext(source: "executor", reason: "the launch was interrupted"))
      return
    }
    guard watch.isDue(run.id) else { return }
    let status: RunStatus
    do {
      if run.state == .launching, handle[RunHandleKey.pendingUntilStarted]?.boolValue == true {
        let started = try services.backendClient.status(handle: handle)
        watch.succeeded(run.id)
        guard started.state != .pending else { return try stopIfOverdue(run, handle: handle) }
        // Started (or already ended): `running` now; the driver polls the run again at once.
        try store.transition(
          run.id, .launchOK,
          TransitionContext(source: "backend", reason: started.message.isEmpty ? nil : started.message))
        return
      } else if run.state == .launching, let job = OrphanJobs(services: services).listed(runID: run.id) {
        // The backend lists the job this launch started: its own handle, not the provisional one.
        try store.transition(
          run.id, .launchOK, TransitionContext(source: "recovery", reason: "adopted the job the backend lists for it"),
          update: ["backend_handle": try? JSONCoding.encode(job.handle)])
        return
      } else if run.state == .launching {
        // A launch interrupted between the backend's answer and our record of it.
        let recovered = try services.backendClient.recover(handle: handle)
        try store.transition(
          run.id, .launchOK, TransitionContext(source: "recovery"),
          update: ["backend_handle": try? JSONCoding.encode(recovered.handle)])
        status = recovered.status
      } else {
        status = try services.backendClient.status(handle: handle)
      }
    } catch let error as PluginCallError {
      if error.error.code == .notFound {
        try store.transition(
          run.id, run.state == .launching ? .launchFail : .exitMissing,
          TransitionContext(source: "executor", reason: "the backend has no trace of this run", confirmedGone: true))
        WarmRunEnd(pool: WarmPool(services: services)).runEnded(run.id, state: .terminated, source: "executor")
        return
      }
      if let why = watch.failed(run.id, error, timeout: timeout(of: run)) {
        try giveUp(run, error, why: why, handle: handle)
      }
      return
    } catch {
      return
    }
    watch.succeeded(run.id)
    guard status.state.isFinal else {
      let health = MetricHealth(
        store: store, config: project.config.svs.metricHealth,
        stopper: StopRequest(services: services))
      MetricsIngest(store: store, health: health).poll(run)
      FaultPoint.hit(.whileRunning)
      try stopIfOverdue(run, handle: handle)
      return
    }
    FaultPoint.hit(.afterCompletionBeforeFinalize)
    try settle(run, status: status, handle: handle)
  }

  /// The backend cannot tell how the run goes: it ends terminated (cause `error`) with the
  /// plugin's message, its job is asked to stop and released, and its log is kept.
  private func giveUp(
    _ run: StageRunRecord, _ error: PluginCallError, why: String, handle: JSONValue
  )
    throws(GoldfishError)
  {
    watch.forget(run.id)
    let message =
      "the \(error.service) backend (plugin \(error.plugin)) could not report on the run: \(why); "
      + "last \(error.function) error (\(error.fault.rawValue)): \(error.error.message)"
    PollWatch.logger.error("run \(run.id) ends terminated: \(message)")
    try stopAndRelease(run, handle: handle, event: .instanceLost, cause: "error", message: message)
  }

  /// A backend that still says `running` well past the run's own timeout (it did not enforce
  /// it) does not keep the run forever: goldfish stops it, keeps its log and releases it.
  private func stopIfOverdue(_ run: StageRunRecord, handle: JSONValue) throws(GoldfishError) {
    // A machine still booting is held to the launch budget, not the stage's own time limit: a
    // 60 s stage must not be stopped because its VM took two minutes to start.
    let limit = run.state == .launching ? launchTimeout(of: run) : timeout(of: run)
    let grace = PollWatch.grace(forTimeout: limit)
    // A launch still waiting for its machine counts too: a VM that never starts the job is not waited on forever.
    guard [.running, .launching].contains(run.state),
      run.stateEnteredAt < Timestamp.format(Date().addingTimeInterval(-(limit + grace)))
    else { return }
    let message =
      "stage \(run.stage) ran past its \(run.state == .launching ? "launch " : "")timeout of \(Int(limit)) s by more than \(Int(grace)) s while the "
      + "\(services.backend.info.name) backend still reported it \(run.state == .launching ? "not started" : "running"): "
      + "goldfish stopped it"
    PollWatch.logger.error("run \(run.id): \(message)")
    try stopAndRelease(run, handle: handle, event: .timeout, cause: "timeout", message: message)
  }

  /// Ends a run goldfish gave up on as `terminated` with `cause`: its job is asked to stop,
  /// its log is kept, and it is released, as every other ending does. The plugin calls are
  /// bounded: while a status call on this handle is stuck the transport refuses them at once.
  private func stopAndRelease(
    _ run: StageRunRecord, handle: JSONValue, event: StageRunEvent, cause: String, message: String
  ) throws(GoldfishError) {
    try? services.backendClient.cancel(handle: handle, reason: cause)
    _ = storeLogs(run, handle: handle)
    try store.transition(
      run.id, event, TransitionContext(source: "executor", reason: message, terminationCause: cause),
      update: ["error": message])
    try? services.backendClient.cleanup(handle: handle)
    WarmRunEnd(pool: WarmPool(services: services)).runEnded(run.id, state: .terminated, source: "executor")
  }

  /// How long a launched job may wait for its machine: the profile's launch_timeout_seconds, else
  /// defaults.launch_timeout_seconds.
  private func launchTimeout(of run: StageRunRecord) -> TimeInterval {
    let profile = run.profile.flatMap { project.config.profiles.definitions[$0] }
    return TimeInterval(profile?.launchTimeoutSeconds ?? project.config.defaults.launchTimeoutSeconds)
  }

  /// The run's own limit (compute.max_runtime_seconds, else defaults.timeout_seconds).
  private func timeout(of run: StageRunRecord) -> TimeInterval {
    let config = run.config.flatMap { try? JSONCoding.parse($0) }
    let seconds = config?["compute"]?["max_runtime_seconds"]?.intValue.map(Int.init)
    return TimeInterval(seconds ?? project.config.defaults.timeoutSeconds)
  }

  /// Moves a run whose job ended to the state that says how.
  private func settle(_ run: StageRunRecord, status: RunStatus, handle: JSONValue) throws(GoldfishError) {
    let logTail = storeLogs(run, handle: handle)
    if status.state != .canceled, let stop = try store.stopRequest(of: run.id) {
      // The stage stopped because goldfish asked it to (should_stop()): however it exited, it
      // ends terminated with cause ai_stop and the request's reason.
      let message =
        "stopped on request (\(stop.reason)); the stage exited "
        + (status.exitCode.map { "with code \($0)" } ?? "") + (logTail.isEmpty ? "" : "; last log lines:\n\(logTail)")
      try store.transition(
        run.id, .aiStop,
        TransitionContext(source: "executor", reason: message, exitCode: status.exitCode, terminationCause: "ai_stop"),
        update: ["error": message])
      try? services.backendClient.cleanup(handle: handle)
      WarmRunEnd(pool: WarmPool(services: services)).runEnded(run.id, state: .terminated, source: "executor")
      return
    }
    switch status.state {
    case .completed:
      try store.transition(run.id, .exitSuccess, TransitionContext(source: "backend", exitCode: status.exitCode ?? 0))
      guard let current = try store.stageRun(run.id) else { return }
      try finish(current)
    case .canceled:
      try store.transition(
        run.id, .userCancel, TransitionContext(source: "backend", reason: "canceled", exitCode: status.exitCode))
    case .terminated,
      .failed where status.terminationCause == .lost || status.terminationCause == .preemption:
      // A worker that died (or was preempted) under the job: the job did not fail, it was lost.
      let cause = status.terminationCause?.rawValue ?? "crashed"
      let message = "the job was stopped (\(cause))" + (logTail.isEmpty ? "" : "; last log lines:\n\(logTail)")
      try store.transition(
        run.id, cause == "timeout" ? .timeout : .instanceLost,
        TransitionContext(source: "backend", reason: message, exitCode: status.exitCode, terminationCause: cause),
        update: ["error": message])
    default:
      let code = status.exitCode.map { "exited with code \($0)" } ?? "failed"
      let message =
        "stage \(run.stage) \(code)" + (status.message.isEmpty ? "" : ": \(status.message)")
        + (logTail.isEmpty ? "" : "; last log lines:\n\(logTail)")
      try store.transition(
        run.id, .exitFailure, TransitionContext(source: "backend", reason: message, exitCode: status.exitCode),
        update: ["error": message])
    }
    if let handle = run.backendHandle.flatMap({ try? JSONCoding.parse($0) }) {
      try? services.backendClient.cleanup(handle: handle)
    }
    let ended: StageRunState =
      switch status.state {
      case .completed: .awaitingUserFinalization
      case .canceled: .canceled
      case .terminated: .terminated
      // A worker that died or was preempted under the job is not given another one.
      case .failed where status.terminationCause == .lost || status.terminationCause == .preemption: .terminated
      default: .failed
      }
    WarmRunEnd(pool: WarmPool(services: services)).runEnded(run.id, state: ended, source: "executor")
  }

  /// post_run → awaiting_user_finalization: record outputs (critical), metrics and the run's
  /// outputs summary.
  func finish(_ run: StageRunRecord) throws(GoldfishError) {
    guard let workDir = run.workDir, let codeDir = try store.pipelineRun(run.pipelineRunID ?? "")?.codeDir else {
      try store.transition(run.id, .postRunFail, TransitionContext(source: "executor", reason: "the run has no folder"))
      return
    }
    let pipelineRun = try store.pipelineRun(run.pipelineRunID ?? "")
    let stage = try PipelineLoader.load(workspaceDirectory: codeDir, pipeline: pipelineRun?.validatedPipeline)
      .stage(named: run.stage)
    // Contracts are checked before outputs are recorded, so a missing output's finding is kept too.
    let contracts = try OutputContractsReview(store: store, config: project.config.svs).review(
      runID: run.id, outputs: stage?.outputs ?? [], outputsDir: RunLayout.outputsDir(workDir: workDir),
      stageConfig: run.config.flatMap { try? JSONCoding.parse($0) })
    do {
      let outputs = try OutputRecorder(services: services, run: run, outputsDir: RunLayout.outputsDir(workDir: workDir))
        .record(stage?.outputs ?? [])
      FaultPoint.hit(.afterOutputsBeforeMetrics)
      let metricsFile = StageIO.metricsFile(outputsDir: RunLayout.outputsDir(workDir: workDir))
      try MetricsIngest(store: store).ingest(run.id, path: metricsFile, final: true)
      let summary = JSONValue.object(
        Dictionary(uniqueKeysWithValues: outputs.map { ($0.signal, JSONValue.string($0.uri ?? "")) }))
      if let contracts, contracts.decision == .blocked {
        let message = OutputContractsReview.blockMessage(contracts)
        try store.transition(
          run.id, .svsBlock, TransitionContext(source: "executor", reason: message, terminationCause: "svs_block"),
          update: ["error": message, "outputs": try? JSONCoding.encode(summary)])
        return
      }
      // The run now awaits the agent's finalize_run (its auto results are computed in the same
      // transaction); nothing here finalizes it.
      try store.transition(
        run.id, .postRunOK, TransitionContext(source: "executor", reason: "outputs recorded"),
        update: ["outputs": try? JSONCoding.encode(summary)])
      ArtifactSources(project: project).register(run: run, declared: stage?.outputs ?? [], recorded: outputs)
    } catch {
      let message = error.message + (error.hint.map { " (\($0))" } ?? "")
      try store.transition(
        run.id, .postRunFail, TransitionContext(source: "executor", reason: message, critical: true),
        update: ["error": message])
    }
  }

  /// Copies the job's log into storage (runs/<id>/logs/output.log) and returns its last lines.
  /// A cancel and the run's driver may both do this at a run's end: each writes its own copy and
  /// uploads that before renaming it over the local log, so no one reads or stores a torn copy.
  /// A backend that gives no log at all leaves the earlier copies as they were.
  func storeLogs(_ run: StageRunRecord, handle: JSONValue) -> String {
    guard let workDir = run.workDir else { return "" }
    let local = RunLayout.runLog(workDir: workDir)
    let copy = "\(local).part-\(UUID().uuidString)"
    guard FileManager.default.createFile(atPath: copy, contents: nil),
      let file = FileHandle(forWritingAtPath: copy)
    else { return Self.lastLines(of: local) }
    defer { unlink(copy) }
    var offset: Int64 = 0
    var answered = false
    for _ in 0..<10_000 {
      guard
        let chunk = try? services.backendClient.logs(RunLogsRequest(handle: handle, offset: offset, maxBytes: 1 << 20))
      else { break }
      answered = true
      file.write(Data(chunk.text.utf8))
      if chunk.nextOffset <= offset || chunk.complete { break }
      offset = chunk.nextOffset
    }
    try? file.close()
    guard answered else { return Self.lastLines(of: local) }
    if let uri = try? services.storageClient.uriFor(key: RunLayout.logKey(run.id)) {
      _ = try? services.storageClient.putFile(uri: uri, path: copy)
    }
    let lines = Self.lastLines(of: copy)
    rename(copy, local)
    return lines
  }

  private static func lastLines(of path: String) -> String {
    let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(15).joined(separator: "\n")
      .trimmingCharacters(in: .whitespacesAndNewlines)
  }
}
