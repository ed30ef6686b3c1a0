/// The life of a stage run. Every change is one compare-and-swap in the database
/// (`ProjectStore.transition`), so two processes can never both move the same run.
public enum StageRunState: String, Sendable, Codable, CaseIterable {
  case preparing, building, launching, running
  case postRun = "post_run"
  case awaitingUserFinalization = "awaiting_user_finalization"
  case completed, failed, terminated, canceled, unknown

  /// No event leaves these states.
  public var isTerminal: Bool {
    switch self {
    case .completed, .failed, .terminated, .canceled: return true
    default: return false
    }
  }

  /// The run's job ended well and its outputs are recorded: finalized (`completed`) or waiting
  /// for the agent to finalize it. Downstream stages, reuse and the pipeline run count it a success.
  public var succeeded: Bool { self == .completed || self == .awaitingUserFinalization }

  /// Nothing more happens to the run unless the agent finalizes it: it ended, one way or another.
  /// What "has it ended" means to waiting, status, logs, the warm pool and orphan jobs.
  public var isSettled: Bool { isTerminal || self == .awaitingUserFinalization }

  /// Something is still happening to the run: it can be canceled, lost or timed out.
  public var isActive: Bool { !isSettled && self != .unknown }
}

public enum StageRunEvent: String, Sendable, Codable, CaseIterable {
  case buildStart = "build_start"
  case buildOK = "build_ok"
  case buildFail = "build_fail"
  case launchOK = "launch_ok"
  case launchFail = "launch_fail"
  case exitSuccess = "exit_success"
  case exitFailure = "exit_failure"
  case exitMissing = "exit_missing"
  case postRunOK = "post_run_ok"
  case postRunFail = "post_run_fail"
  case instanceLost = "instance_lost"
  case timeout
  case userCancel = "user_cancel"
  case userFinalize = "user_finalize"
  /// The job ended after goldfish asked it to stop (should_stop()): a metric-health rule or the agent.
  case aiStop = "ai_stop"
  case prepareFail = "prepare_fail"
  /// An unchanged earlier run's outputs stand for this run (partial re-runs).
  case reuse
  /// A blocking SVS check refused the run: before launch (review) or after it (output contracts).
  case svsBlock = "svs_block"
}

/// What an event needs to pick its target when one event can lead to two states.
public struct TransitionContext: Sendable {
  public var reason: String?
  public var source: String
  public var exitCode: Int?
  public var terminationCause: String?
  /// post_run_fail: whether a critical finalisation step (recording outputs) failed.
  public var critical: Bool
  /// exit_missing: only once the backend confirmed the job is gone.
  public var confirmedGone: Bool

  public init(
    source: String, reason: String? = nil, exitCode: Int? = nil, terminationCause: String? = nil,
    critical: Bool = true, confirmedGone: Bool = false
  ) {
    self.source = source
    self.reason = reason
    self.exitCode = exitCode
    self.terminationCause = terminationCause
    self.critical = critical
    self.confirmedGone = confirmedGone
  }
}

public enum StageRunTransitions {
  /// The target of `event` from `state`, or nil when the event is not allowed there.
  public static func target(
    from state: StageRunState, on event: StageRunEvent, _ context: TransitionContext
  )
    -> StageRunState?
  {
    // Events every active state accepts. A run awaiting finalization is not active: its job
    // ended and its result is kept, so it can be finalized but not canceled or lost.
    if state.isActive {
      switch event {
      case .userCancel: return .canceled
      case .instanceLost, .aiStop: return .terminated
      default: break
      }
    }
    switch (state, event) {
    case (.preparing, .buildStart): return .building
    case (.preparing, .prepareFail): return .failed
    case (.preparing, .reuse): return .completed
    case (.preparing, .timeout), (.building, .timeout), (.launching, .timeout), (.running, .timeout):
      return .terminated
    case (.building, .buildOK): return .launching
    case (.building, .buildFail): return .failed
    case (.launching, .launchOK): return .running
    case (.launching, .launchFail): return .failed
    case (.running, .exitSuccess): return .postRun
    case (.running, .exitFailure): return .failed
    case (.running, .exitMissing): return context.confirmedGone ? .terminated : nil
    case (.running, .userFinalize), (.postRun, .userFinalize), (.awaitingUserFinalization, .userFinalize):
      return .completed
    case (.postRun, .postRunOK): return .awaitingUserFinalization
    case (.postRun, .postRunFail): return context.critical ? .failed : .awaitingUserFinalization
    case (.postRun, .timeout): return .failed
    case (.preparing, .svsBlock), (.postRun, .svsBlock): return .failed
    case (.unknown, .timeout): return .terminated
    default: return nil
    }
  }
}
