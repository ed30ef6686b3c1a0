import Foundation
import GRDB
import PluginKit

/// A project's experiment records: finalizing runs, tags, queries and version pruning. Faces
/// (MCP, CLI) only parse arguments and print what these return.
public struct RecordBook: Sendable {
  let project: Project

  var store: ProjectStore { project.store }
  var minimumText: Int { project.settings.minReasonLength }
}

extension Project {
  public var records: RecordBook { RecordBook(project: self) }
}

/// What `finalize_run` answers.
public struct FinalizeOutcome: Codable, Sendable, Equatable {
  public var recordID: String
  public var stageRunID: String
  public var resultsStatus: ResultsStatus
  /// The run's state after finalizing (`completed` when it was waiting for its result).
  public var state: StageRunState
  public var comparison: RecordComparison

  enum CodingKeys: String, CodingKey {
    case recordID = "record_id", stageRunID = "stage_run_id", resultsStatus = "results_status", state, comparison
  }
}

extension RecordBook {
  /// States in which finalizing also ends the run (upstream's `user_finalize`).
  static let finalizingStates: [StageRunState] = [.running, .postRun, .awaitingUserFinalization]

  /// Records a run's authoritative result (§9.2) and how it compares. Finalizing again replaces
  /// the earlier result and comparison, as upstream does: the latest word of the researcher
  /// counts. A failed, terminated or canceled run can be finalized too (its result is recorded,
  /// its state stays); a run that has not started running cannot.
  public func finalize(
    _ ref: String, results: JSONValue, by: String, workspace: String? = nil
  )
    throws(GoldfishError) -> FinalizeOutcome
  {
    let record = try RecordRef.resolve(ref, workspace: workspace, in: store)
    guard record.kind == .run, let runID = record.stageRunID else {
      throw GoldfishError(
        .invalidArgument, "record \(record.id) is a checkpoint (a saved version): only runs have results to finalize",
        hint: "finalize one of its runs; list_history(record_type=\"run\") shows them")
    }
    let final = try FinalResults(results, minimumTextLength: minimumText)
    guard let run = try store.stageRun(runID) else {
      throw GoldfishError(.notFound, "no run \(RunIdentifiers.display(runID))")
    }
    if [.preparing, .building, .launching].contains(run.state) {
      throw GoldfishError(
        .invalidTransition, "run \(runID) is still \(run.state.rawValue): it has no result to finalize yet",
        hint: "wait until it runs or ends (inspect_run shows its state), then finalize it",
        detail: ["state": .string(run.state.rawValue)])
    }
    let stored = try JSONText.encode(final.json)
    let comparison = try store.write { db throws -> RecordComparison in
      let comparison = try Comparison.compute(
        db, record: record, run: run, metric: final.primaryMetric, value: final.value)
      try db.execute(
        sql: """
          UPDATE run_results SET results_final = ?, results_status = 'finalized', ml_outcome = ?, finalized_by = ?,
            finalized_at = ?, primary_metric = ?, primary_value = ?, comparison = ?,
            infra_outcome = COALESCE(infra_outcome, ?)
          WHERE stage_run_id = ?
          """,
        arguments: [
          stored, final.mlOutcome.rawValue, by, Timestamp.now(), final.primaryMetric, final.value,
          try JSONText.encode(comparison), final.infraOutcome?.rawValue, runID,
        ])
      return comparison
    }
    var state = run.state
    if Self.finalizingStates.contains(run.state) {
      do throws(GoldfishError) {
        let outcome = try store.transition(
          runID, .userFinalize, TransitionContext(source: "user", reason: "result finalized by \(by)"))
        switch outcome {
        case .moved(_, let to), .alreadyThere(let to): state = to
        }
      } catch  where error.code == .invalidTransition || error.code == .staleState {
        // The run ended another way meanwhile; its result is recorded all the same.
        state = try store.stageRun(runID)?.state ?? state
      }
    }
    // The result is stored; a journal that cannot be written must not report it lost.
    try? project.journal.record(
      "finalize_run", reason: final.notes, workspace: record.workspace,
      details: [
        "stage_run_id": .string(runID), "primary_metric": .string(final.primaryMetric), "value": .double(final.value),
        "ml_outcome": .string(final.mlOutcome.rawValue), "finalized_by": .string(by),
      ])
    return FinalizeOutcome(
      recordID: record.id, stageRunID: runID, resultsStatus: .finalized, state: state, comparison: comparison)
  }
}

/// JSON text for the store, with a typed error.
enum JSONText {
  static func encode(_ value: some Encodable) throws(GoldfishError) -> String {
    do {
      return try JSONCoding.encode(value)
    } catch {
      throw GoldfishError(.storeFailed, "a value could not be written as JSON: \(error.message)")
    }
  }
}
