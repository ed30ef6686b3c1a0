import PluginKit

extension GoldfishError.Code {
  public static let finalizationRequired = Self("finalization_required")
  public static let resultsSpecRequired = Self("results_spec_required")
}

/// The experiment discipline of upstream's `run`: say what a run is expected to show
/// (`results_spec`), and record what the previous runs showed (`finalize_run`) before starting
/// another. An agent that skips either loses track of what worked.
public struct RunDiscipline: Sendable {
  let project: Project

  public init(project: Project) { self.project = project }

  /// Runs of `workspace` that ended and were not finalized: the first few (oldest first) and how
  /// many there are.
  public struct Pending: Sendable {
    public var runs: [RunResultsRecord]
    public var total: Int

    /// One line a person or an agent acts on.
    public var summary: String {
      let listed = runs.map { "\($0.stageRunID) (\($0.stage), \($0.infraOutcome?.rawValue ?? "ended"))" }
      let more = total > runs.count ? " and \(total - runs.count) more" : ""
      return listed.joined(separator: ", ") + more
    }

    public var json: JSONValue {
      [
        "total": .number(total),
        "runs": .array(
          runs.map {
            [
              "stage_run_id": .string($0.stageRunID), "record_id": .string($0.recordID), "stage": .string($0.stage),
              "infra_outcome": $0.infraOutcome.map { .string($0.rawValue) } ?? .null,
            ]
          }),
      ]
    }
  }

  public static let listed = 3

  public func pending(workspace: String) throws(GoldfishError) -> Pending {
    let all = try project.store.unfinalizedRuns(workspace: workspace)
    return Pending(runs: Array(all.prefix(Self.listed)), total: all.count)
  }

  /// Throws `finalization_required` when the workspace has unfinalized runs.
  public func checkFinalized(workspace: String) throws(GoldfishError) {
    let pending = try pending(workspace: workspace)
    guard pending.total > 0, let first = pending.runs.first else { return }
    throw GoldfishError(
      .finalizationRequired,
      "workspace \(workspace) has \(pending.total) run\(pending.total == 1 ? "" : "s") not finalized: \(pending.summary); "
        + "record what each showed before starting another",
      hint:
        "finalize_run(record_or_run_id: \"\(first.stageRunID)\", results: {primary_metric, direction, value, "
        + "dataset_split, ml_outcome, notes}) for each (CLI: goldfish finalize); list_unfinalized_runs(workspace: \"\(workspace)\") lists them all "
        + "(a project can turn this off with audit.finalization_gate: false in goldfish.yaml)",
      detail: ["unfinalized": pending.json, "tools": ["finalize_run", "list_unfinalized_runs"]])
  }

  /// An example spec the missing-spec error shows.
  public static let exampleSpec =
    "{\"primary_metric\": \"val_loss\", \"direction\": \"minimize\", \"min_value\": 0.5, \"goal_value\": 0.1, "
    + "\"dataset_split\": \"val\", \"tolerance\": 0.01, \"context\": \"what this number means and why it matters\"}"

  public static func missingSpec() -> GoldfishError {
    GoldfishError(
      .resultsSpecRequired,
      "run needs a results_spec: the metric this run is judged by and what counts as success, e.g. \(exampleSpec)",
      hint:
        "required keys: primary_metric, direction (maximize|minimize), min_value, goal_value, dataset_split "
        + "(train|val|test|other), tolerance, context; optional: secondary_metrics, baseline_run, failure_threshold, "
        + "known_caveats. dry_run: true needs none; a project can turn the requirement off with "
        + "audit.require_results_spec: false in goldfish.yaml")
  }
}
