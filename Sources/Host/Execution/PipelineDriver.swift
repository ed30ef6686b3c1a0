import Foundation
import PluginKit

/// Drives one pipeline run to its end: launches every stage whose inputs are ready (up to
/// `jobs.max_parallel_stages` at once), watches running stages, finalises finished ones, and
/// stops the dependants of a failed stage, naming it. Any goldfish process can drive a run;
/// a lease in the database keeps it to one at a time, and a new driver picks up where a
/// killed one stopped.
public struct PipelineDriver: Sendable {
  public let services: ExecutionServices
  public let pipelineRunID: String
  public var maxParallel: Int = 4
  /// Polling starts fast after every change and backs off while nothing happens; a run's
  /// supervisor writing its exit record (status.json in the run folder) wakes the driver at
  /// once, so for such backends these are only the safety net.
  public var fastestPoll: TimeInterval = 0.02
  public var slowestPoll: TimeInterval = 0.25

  public init(services: ExecutionServices, pipelineRunID: String) {
    self.services = services
    self.pipelineRunID = pipelineRunID
    maxParallel = services.project.config.jobs.maxParallelStages
  }

  var project: Project { services.project }
  var store: ProjectStore { services.project.store }

  /// The files a run's supervisor writes in its run folder once the run is over
  /// (goldfish-runner's status.json, renamed into place).
  static let exitRecordNames: Set<String> = ["status.json"]

  /// Runs until every stage is final; `progress` hears of every state change.
  public func drive(progress: (StageRunRecord) -> Void = { _ in }) throws(GoldfishError) -> PipelineRunRecord {
    guard let pipelineRun = try store.pipelineRun(pipelineRunID) else {
      throw GoldfishError(.notFound, "no pipeline run \(RunIdentifiers.display(pipelineRunID))")
    }
    let lease = "pipeline-run:\(pipelineRunID)"
    guard try store.acquireLease(lease, seconds: 30) else {
      // Not a failed start: the run has a live driver. Only starts that could drive count.
      try? store.unclaimDriverStart(pipelineRunID)
      throw GoldfishError(.runRefused, "another goldfish process is driving \(pipelineRunID)")
    }
    defer { try? store.releaseLease(lease) }
    do {
      return try driveHoldingLease(pipelineRun, lease: lease, progress: progress)
    } catch {
      // The next driver (or the one that gives up after DriverLauncher.maxStarts) reports it.
      try? store.recordDriverError(pipelineRunID, error.message)
      throw error
    }
  }

  private func driveHoldingLease(
    _ pipelineRun: PipelineRunRecord, lease: String, progress: (StageRunRecord) -> Void
  ) throws(GoldfishError) -> PipelineRunRecord {
    let definition: PipelineDefinition
    do {
      definition = try loadDefinition(pipelineRun)
    } catch {
      // The file run validated no longer loads: no restart can change that.
      let message = "the pipeline could not be loaded: " + error.message
      try RunAbandonment(store: store).abandon(pipelineRunID, message: message)
      throw GoldfishError(error.code, message, hint: error.hint)
    }
    // Jobs whose runs ended while nobody watched them (a host killed mid-launch) are stopped.
    OrphanJobs(services: services).stopEnded()
    let launcher = StageLauncher(services: services, pipelineRun: pipelineRun, definition: definition)
    var lastStates: [String: StageRunState] = [:]
    var pause = fastestPoll
    let keeper = LeaseKeeper(store: store, lease: lease)
    defer { keeper.stop() }
    var reaped = Date.distantPast
    var madeProgress = false
    let finalizer = StageFinalizer(services: services)
    let events = FolderWatch()
    while true {
      if keeper.lost {
        throw GoldfishError(.runRefused, "another goldfish process took over driving \(pipelineRunID)")
      }
      if Date().timeIntervalSince(reaped) > WarmPoolReaperSchedule.interval {
        // A driver lives as long as its run: it keeps the pool reaped meanwhile.
        _ = try? WarmPoolReaper(services: services).reapIfLeader(leaseSeconds: 3 * WarmPoolReaperSchedule.interval)
        reaped = Date()
      }
      let runs = try store.stageRuns(ofPipelineRun: pipelineRunID)
      var changed = false
      for run in runs where lastStates[run.id] != run.state {
        if lastStates[run.id] != nil && !madeProgress {
          // This driver moved the run on: the starts before it were not a crash loop.
          madeProgress = true
          try? store.resetDriverStarts(pipelineRunID)
        }
        lastStates[run.id] = run.state
        changed = true
        progress(run)
      }
      pause = changed ? fastestPoll : min(pause * 1.5, slowestPoll)
      // A stage awaiting finalization has succeeded: the pipeline run does not wait for the agent.
      if runs.allSatisfy({ $0.state.isSettled }) {
        let failed = runs.filter { !$0.state.succeeded }
        try store.finishPipelineRun(
          pipelineRunID, status: failed.isEmpty ? "completed" : "failed",
          error: failed.isEmpty
            ? nil
            : "stages not completed: " + failed.map { "\($0.stage) (\($0.state.rawValue))" }.joined(separator: ", "))
        FolderWatch.announceCommit(database: store.path)
        FaultPoint.hit(.afterFinalStateBeforeStateMD)
        try project.journal.regenerateStateMD()
        return try store.pipelineRun(pipelineRunID) ?? pipelineRun
      }
      // Watched before they are polled: an exit between the poll and the wait still wakes it.
      for run in runs where run.state.isActive {
        if let folder = run.workDir { events.watch(folder, names: Self.exitRecordNames) }
      }
      var active = runs.filter { [.building, .launching, .running, .postRun].contains($0.state) }.count
      for run in runs {
        switch run.state {
        case .preparing:
          let dependencies = definition.dependencies(of: run.stage)
          let upstream = runs.filter { dependencies.contains($0.stage) }
          if let blocker = upstream.first(where: { $0.state.isSettled && !$0.state.succeeded }) {
            try store.transition(
              run.id, .prepareFail,
              TransitionContext(
                source: "executor", reason: "upstream stage \(blocker.stage) \(blocker.state.rawValue) (\(blocker.id))"),
              update: ["error": "upstream stage \(blocker.stage) \(blocker.state.rawValue) (\(blocker.id))"])
          } else if upstream.allSatisfy({ $0.state.succeeded }) && active < maxParallel {
            active += 1
            FaultPoint.hit(.beforeLaunch)
            launcher.launch(run)
          }
        case .launching, .running:
          try finalizer.poll(run)
        case .postRun:
          try finalizer.finish(run)
        default:
          break
        }
      }
      // A stage that moved on in this pass (launched, settled, finished) is looked at again at
      // once; otherwise the driver sleeps until a watched run ends or the poll interval passes.
      let after = try store.stageRuns(ofPipelineRun: pipelineRunID)
      if after.contains(where: { lastStates[$0.id] != $0.state }) {
        // Committed: a waiter on a stage run (MCP `wait`) may read its end now.
        FolderWatch.announceCommit(database: store.path)
        continue
      }
      events.retain(only: Set(after.filter(\.state.isActive).compactMap(\.workDir)))
      events.wait(timeout: pause)
    }
  }

  private func loadDefinition(_ pipelineRun: PipelineRunRecord) throws(GoldfishError) -> PipelineDefinition {
    guard let codeDir = pipelineRun.codeDir else {
      throw GoldfishError(.notFound, "pipeline run \(pipelineRunID) has no code folder")
    }
    return try PipelineLoader.load(workspaceDirectory: codeDir, pipeline: pipelineRun.validatedPipeline)
  }
}

extension PipelineRunRecord {
  /// The `pipeline:` argument that loads the file `run` validated: nil for pipeline.yaml, NAME
  /// for pipelines/NAME.yaml. Runs recorded before the file was kept fall back to the old rule.
  var validatedPipeline: String? {
    guard let pipelineFile else { return pipeline == "pipeline" ? nil : pipeline }
    if pipelineFile.hasPrefix("pipelines/") && pipelineFile.hasSuffix(".yaml") {
      return String(pipelineFile.dropFirst("pipelines/".count).dropLast(".yaml".count))
    }
    return nil
  }
}
