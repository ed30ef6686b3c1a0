import GRDB
import PluginKit

/// What a run's record learns when the run ends, written by `transition` in the transaction
/// that ends it: a run is never seen ended without its outcome.
extension ProjectStore {
  /// The infra outcome of the state the run ended in; when it awaits finalization, its auto
  /// results from its results spec and metric summaries (results_status missing → auto).
  static func recordEnding(_ db: Database, _ id: String, state: StageRunState, terminationCause: String?) throws {
    guard let outcome = InfraOutcome(state: state, terminationCause: terminationCause) else { return }
    try db.execute(
      sql: "UPDATE run_results SET infra_outcome = ? WHERE stage_run_id = ?", arguments: [outcome.rawValue, id])
    guard state == .awaitingUserFinalization,
      let text = try String.fetchOne(
        db, sql: "SELECT spec FROM run_results_spec WHERE stage_run_id = ?", arguments: [id]),
      let json = try? JSONCoding.parse(text),
      // Stored specs were validated when saved; their text length rule is not re-applied here.
      let spec = try? ResultsSpec(json, minimumTextLength: 0)
    else { return }
    let summaries = try MetricSummary.fetchAll(
      db, sql: "SELECT * FROM run_metrics_summary WHERE stage_run_id = ?", arguments: [id])
    guard let auto = AutoResults.compute(spec: spec, summaries: summaries), case .double(let value) = auto["value"]
    else { return }
    try db.execute(
      sql: """
        UPDATE run_results SET results_auto = ?,
          results_status = CASE results_status WHEN 'missing' THEN 'auto' ELSE results_status END,
          primary_metric = CASE results_status WHEN 'finalized' THEN primary_metric ELSE ? END,
          primary_value = CASE results_status WHEN 'finalized' THEN primary_value ELSE ? END
        WHERE stage_run_id = ?
        """,
      arguments: [try JSONCoding.encode(auto), spec.primaryMetric, value, id])
  }
}
