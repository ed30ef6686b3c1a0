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
  /// Polling starts fast after every change and backs off while nothing happens.
  public var fastestPoll: TimeInterval = 0.02
  public var slowestPoll: TimeInterval = 0.25

  public init(services: ExecutionServices, pipelineRunID: String) {
    self.services = services
    self.pipelineRunID = pipelineRunID
    maxParallel = services.project.config.jobs.maxParallelStages
  }

  var project: Project { services.project }
  var store: ProjectStore { services.project.store }

  /// Runs until every stage is final; `progress` hears of every state change.
  public func drive(progress: (StageRunRecord) -> Void = { _ in }) throws(GoldfishError) -> PipelineRunRecord {
    guard let pipelineRun = try store.pipelineRun(pipelineRunID) else {
      throw GoldfishError(.notFound, "no pipeline run \(RunIdentifiers.display(pipelineRunID))")
    }
    let lease = "pipeline-run:\(pipelineRunID)"
    guard try store.acquireLease(lease, seconds: 30) else {
      throw GoldfishError(.runRefused, "another goldfish process is driving \(pipelineRunID)")
    }
    defer { try? store.releaseLease(lease) }
    let definition = try loadDefinition(pipelineRun)
    let launcher = StageLauncher(services: services, pipelineRun: pipelineRun, definition: definition)
    let finalizer = StageFinalizer(services: services)
    var lastStates: [String: StageRunState] = [:]
    var pause = fastestPoll
    var renewed = Date()
    var reaped = Date.distantPast
    while true {
      // The lease lasts 30 s; renewing every 5 s keeps it without a write on every poll.
      if Date().timeIntervalSince(renewed) > 5 {
        _ = try store.acquireLease(lease, seconds: 30)
        renewed = Date()
      }
      if Date().timeIntervalSince(reaped) > WarmPoolReaperSchedule.interval {
        // A driver lives as long as its run: it keeps the pool reaped meanwhile.
        _ = try? WarmPoolReaper(services: services).reapIfLeader(leaseSeconds: 3 * WarmPoolReaperSchedule.interval)
        reaped = Date()
      }
      let runs = try store.stageRuns(ofPipelineRun: pipelineRunID)
      var changed = false
      for run in runs where lastStates[run.id] != run.state {
        lastStates[run.id] = run.state
        changed = true
        progress(run)
      }
      pause = changed ? fastestPoll : min(pause * 1.5, slowestPoll)
      if runs.allSatisfy({ $0.state.isTerminal }) {
        let failed = runs.filter { $0.state != .completed }
        try store.finishPipelineRun(
          pipelineRunID, status: failed.isEmpty ? "completed" : "failed",
          error: failed.isEmpty
            ? nil
            : "stages not completed: " + failed.map { "\($0.stage) (\($0.state.rawValue))" }.joined(separator: ", "))
        FaultPoint.hit(.afterFinalStateBeforeStateMD)
        try project.journal.regenerateStateMD()
        return try store.pipelineRun(pipelineRunID) ?? pipelineRun
      }
      var active = runs.filter { [.building, .launching, .running, .postRun].contains($0.state) }.count
      for run in runs {
        switch run.state {
        case .preparing:
          let dependencies = definition.dependencies(of: run.stage)
          let upstream = runs.filter { dependencies.contains($0.stage) }
          if let blocker = upstream.first(where: { $0.state.isTerminal && $0.state != .completed }) {
            try store.transition(
              run.id, .prepareFail,
              TransitionContext(
                source: "executor", reason: "upstream stage \(blocker.stage) \(blocker.state.rawValue) (\(blocker.id))"),
              update: ["error": "upstream stage \(blocker.stage) \(blocker.state.rawValue) (\(blocker.id))"])
          } else if upstream.allSatisfy({ $0.state == .completed }) && active < maxParallel {
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
      Thread.sleep(forTimeInterval: pause)
    }
  }

  private func loadDefinition(_ pipelineRun: PipelineRunRecord) throws(GoldfishError) -> PipelineDefinition {
    guard let codeDir = pipelineRun.codeDir else {
      throw GoldfishError(.notFound, "pipeline run \(pipelineRunID) has no code folder")
    }
    let named = pipelineRun.pipeline == "pipeline" ? nil : pipelineRun.pipeline
    return try PipelineLoader.load(workspaceDirectory: codeDir, pipeline: named)
  }
}
