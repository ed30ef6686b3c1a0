import Foundation

/// How runs ended, as `status` and `dashboard` show it (upstream's blocks): runs waiting for
/// finalization per workspace, the last five outcomes, the last five failures.
public struct RunOutcomes: Codable, Sendable {
  public struct Outcome: Codable, Sendable, Equatable {
    public var runID: String
    public var workspace: String
    public var stage: String
    /// The state the run ended in; `awaiting_user_finalization` for a success not finalized yet.
    public var outcome: String
    public var endedAt: String
    public var age: String

    enum CodingKeys: String, CodingKey {
      case runID = "run_id"
      case workspace, stage, outcome
      case endedAt = "ended_at"
      case age
    }
  }

  public struct Failure: Codable, Sendable, Equatable {
    public var runID: String
    public var workspace: String
    public var stage: String
    public var state: String
    public var reason: String
    public var error: String?
    public var age: String

    enum CodingKeys: String, CodingKey {
      case runID = "run_id"
      case workspace, stage, state, reason, error, age
    }

    public func encode(to encoder: Encoder) throws {
      var c = encoder.container(keyedBy: CodingKeys.self)
      try c.encode(runID, forKey: .runID)
      try c.encode(workspace, forKey: .workspace)
      try c.encode(stage, forKey: .stage)
      try c.encode(state, forKey: .state)
      try c.encode(reason, forKey: .reason)
      try c.encode(error, forKey: .error)
      try c.encode(age, forKey: .age)
    }
  }

  /// States a run no longer works in: the terminal ones and a success waiting to be finalized.
  public static let endedStates = StageRunState.allCases.filter { $0.isTerminal || $0 == .awaitingUserFinalization }
  /// States a run is still working in.
  public static let workingStates = StageRunState.allCases.filter { $0.isActive && $0 != .awaitingUserFinalization }

  public var pendingFinalization: [String: PendingFinalization]
  public var recentOutcomes: [Outcome]
  public var failedRecent: [Failure]

  enum CodingKeys: String, CodingKey {
    case pendingFinalization = "pending_finalization"
    case recentOutcomes = "recent_outcomes"
    case failedRecent = "failed_recent"
  }

  public init(store: ProjectStore, now: Date = Date()) throws(GoldfishError) {
    pendingFinalization = try store.pendingFinalization()
    recentOutcomes = try store.stageRuns(states: Self.endedStates, limit: 5).map { run in
      let ended = run.finishedAt ?? run.stateEnteredAt
      return Outcome(
        runID: run.id, workspace: run.workspace, stage: run.stage, outcome: run.state.rawValue, endedAt: ended,
        age: ExperimentContext.age(of: ended, now: now))
    }
    failedRecent = try store.stageRuns(states: [.failed, .terminated], limit: 5).map { run in
      Failure(
        runID: run.id, workspace: run.workspace, stage: run.stage, state: run.state.rawValue, reason: run.reason,
        error: run.error.map { String($0.prefix(300)) },
        age: ExperimentContext.age(of: run.finishedAt ?? run.stateEnteredAt, now: now))
    }
  }

  /// How a run's state reads in STATE.md and the CLI: a mark and words, so a success waiting for
  /// finalization never reads as running or as done.
  public static func mark(_ state: StageRunState) -> String {
    switch state {
    case .completed: "✓ completed"
    case .awaitingUserFinalization: "⏸ awaiting finalization"
    case .failed: "✗ failed"
    case .terminated: "✗ terminated"
    case .canceled: "⊘ canceled"
    case .unknown: "? unknown"
    default: "⏳ \(state.rawValue)"
    }
  }
}
