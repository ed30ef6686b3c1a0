import GRDB
import PluginKit

/// What a transition attempt did.
public enum TransitionOutcome: Sendable, Equatable {
  case moved(from: StageRunState, to: StageRunState)
  /// The run already is where the event leads (another process got there first).
  case alreadyThere(StageRunState)
}

extension GoldfishError.Code {
  public static let invalidTransition = Self("invalid_transition")
}

extension ProjectStore {
  public func createStageRun(_ run: StageRunRecord) throws(GoldfishError) {
    try write { db in
      if try StageRunRecord.fetchOne(db, key: run.id) != nil {
        throw GoldfishError(.alreadyExists, "run \(run.id) already exists")
      }
      try run.insert(db)
      let pipelineRun = try run.pipelineRunID.flatMap { try PipelineRunRecord.fetchOne(db, key: $0) }
      try Self.insertRunRecord(db, run, group: pipelineRun?.experimentGroup, spec: pipelineRun?.resultsSpec)
      try insertTransition(
        db, run.id, from: "none", to: run.state.rawValue, event: "created",
        TransitionContext(source: "executor", reason: run.reason))
    }
  }

  public func stageRun(_ id: String) throws(GoldfishError) -> StageRunRecord? {
    try read { db in try StageRunRecord.fetchOne(db, key: id) }
  }

  public func stageRuns(
    workspace: String? = nil, stage: String? = nil, states: [StageRunState]? = nil, limit: Int = 50
  )
    throws(GoldfishError) -> [StageRunRecord]
  {
    try read { db in
      if let states, !states.contains(where: \.succeeded) {
        // Active, failed or canceled runs: each state's newest `limit` along
        // stage_runs_by_state_time (v14), merged. One IN over the states fetched and sorted every
        // run in them: 120 ms at 100,000 failed runs.
        var runs: [StageRunRecord] = []
        for state in Set(states) {
          runs += try Self.newestRuns(in: state, workspace: workspace, stage: stage, limit: limit).fetchAll(db)
        }
        return Array(runs.sorted { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) }.prefix(limit))
      }
      var request = Self.runs(workspace: workspace, stage: stage)
      if let states {
        // Finished runs are nearly all of the table: reading newest-first along
        // stage_runs_by_time and stopping at `limit` beats fetching every finished run through
        // the state index and sorting them all. The unary + keeps SQLite off the state index.
        let names = states.map(\.rawValue)
        let marks = names.map { _ in "?" }.joined(separator: ", ")
        request = request.filter(sql: "+state IN (\(marks))", arguments: StatementArguments(names))
      }
      return try request.order(StageRunRecord.CodingKeys.createdAt.desc, StageRunRecord.CodingKeys.id.desc)
        .limit(limit).fetchAll(db)
    }
  }

  /// One state's newest runs, newest first.
  static func newestRuns(
    in state: StageRunState, workspace: String?, stage: String?, limit: Int
  ) -> QueryInterfaceRequest<StageRunRecord> {
    runs(workspace: workspace, stage: stage).filter(StageRunRecord.CodingKeys.state == state.rawValue)
      .order(StageRunRecord.CodingKeys.createdAt.desc, StageRunRecord.CodingKeys.id.desc).limit(limit)
  }

  private static func runs(workspace: String?, stage: String?) -> QueryInterfaceRequest<StageRunRecord> {
    var request = StageRunRecord.all()
    if let workspace { request = request.filter(StageRunRecord.CodingKeys.workspace == workspace) }
    if let stage { request = request.filter(StageRunRecord.CodingKeys.stage == stage) }
    return request
  }

  /// Applies `event` to a run as one compare-and-swap on its state, recording the transition
  /// with its reason. Fields in `update` are written in the same statement.
  @discardableResult
  public func transition(
    _ id: String, _ event: StageRunEvent, _ context: TransitionContext,
    update: [String: (any DatabaseValueConvertible)?] = [:]
  ) throws(GoldfishError) -> TransitionOutcome {
    let outcome = try applyTransition(id, event, context, update: update)
    // The one place runs reach failed or terminated: approved failure patterns are checked here.
    if case .moved(_, let target) = outcome, target == .failed || target == .terminated {
      FailurePatterns(store: self).matchEnded(id)
    }
    return outcome
  }

  private func applyTransition(
    _ id: String, _ event: StageRunEvent, _ context: TransitionContext,
    update: [String: (any DatabaseValueConvertible)?]
  ) throws(GoldfishError) -> TransitionOutcome {
    try write { db in
      guard let current = try StageRunRecord.fetchOne(db, key: id) else {
        throw GoldfishError(.notFound, "no run \(RunIdentifiers.display(id))", hint: "list runs with `goldfish runs`")
      }
      guard let target = StageRunTransitions.target(from: current.state, on: event, context) else {
        if current.state.isTerminal || current.state == terminalTargetIfAny(event) {
          return .alreadyThere(current.state)
        }
        if current.state == .awaitingUserFinalization {
          // A late report about a job that already ended well changes nothing; a cancel would
          // throw its result away, so it is refused.
          guard event == .userCancel else { return .alreadyThere(current.state) }
          throw GoldfishError(
            .invalidTransition, "run \(id) is not running: its job ended and it awaits finalization",
            hint: "record its results with finalize_run (CLI: goldfish finalize); nothing is left to cancel",
            detail: ["state": .string(current.state.rawValue), "event": .string(event.rawValue)])
        }
        throw GoldfishError(
          .invalidTransition, "run \(id) is \(current.state.rawValue); \(event.rawValue) does not apply",
          detail: ["state": .string(current.state.rawValue), "event": .string(event.rawValue)])
      }
      let now = Timestamp.now()
      var assignments = ["state = ?", "state_entered_at = ?"]
      var arguments: [(any DatabaseValueConvertible)?] = [target.rawValue, now]
      let ends = target.isSettled && !current.state.isSettled
      if ends {
        // When the job ended: finalizing later does not move it.
        assignments.append("finished_at = ?")
        arguments.append(now)
      }
      let cause =
        target == .terminated
        ? context.terminationCause ?? (event == .timeout ? "timeout" : nil)
        : event == .svsBlock ? "svs_block" : nil
      if let cause {
        assignments.append("termination_cause = ?")
        arguments.append(cause)
      }
      if let code = context.exitCode {
        assignments.append("exit_code = ?")
        arguments.append(code)
      }
      for (column, value) in update.sorted(by: { $0.key < $1.key }) {
        assignments.append("\(column) = ?")
        arguments.append(value)
      }
      arguments += [id, current.state.rawValue]
      try db.execute(
        sql: "UPDATE stage_runs SET \(assignments.joined(separator: ", ")) WHERE id = ? AND state = ?",
        arguments: StatementArguments(arguments.map { $0?.databaseValue ?? .null }))
      guard db.changesCount == 1 else {
        throw GoldfishError(.staleState, "run \(id) changed while \(event.rawValue) was being applied; retry")
      }
      try insertTransition(db, id, from: current.state.rawValue, to: target.rawValue, event: event.rawValue, context)
      if ends { try Self.recordEnding(db, id, state: target, terminationCause: cause) }
      return .moved(from: current.state, to: target)
    }
  }

  public func transitions(of id: String) throws(GoldfishError) -> [StageRunTransitionRecord] {
    try read { db in
      try StageRunTransitionRecord.fetchAll(
        db, sql: "SELECT * FROM stage_state_transitions WHERE stage_run_id = ? ORDER BY id", arguments: [id])
    }
  }

  /// Fields of a run that change without a state change (phase, handle, outputs, …).
  public func updateStageRun(
    _ id: String, expecting state: StageRunState, _ fields: [String: (any DatabaseValueConvertible)?]
  )
    throws(GoldfishError)
  {
    guard !fields.isEmpty else { return }
    try write { db in
      let sorted = fields.sorted { $0.key < $1.key }
      let sql =
        "UPDATE stage_runs SET " + sorted.map { "\($0.key) = ?" }.joined(separator: ", ")
        + " WHERE id = ? AND state = ?"
      let values = sorted.map { $0.value?.databaseValue ?? .null } + [id.databaseValue, state.rawValue.databaseValue]
      try db.execute(sql: sql, arguments: StatementArguments(values))
      guard db.changesCount == 1 else {
        throw GoldfishError(.staleState, "run \(id) is no longer \(state.rawValue)")
      }
    }
  }

  private func terminalTargetIfAny(_ event: StageRunEvent) -> StageRunState? {
    event == .userCancel ? .canceled : nil
  }

  private func insertTransition(
    _ db: Database, _ id: String, from: String, to: String, event: String, _ context: TransitionContext
  ) throws {
    try db.execute(
      sql: """
        INSERT INTO stage_state_transitions (stage_run_id, from_state, to_state, event, reason, source, exit_code, created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        """,
      arguments: [id, from, to, event, context.reason, context.source, context.exitCode, Timestamp.now()])
  }
}
