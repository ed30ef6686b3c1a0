import Foundation
import PluginKit

/// What stands between `run` and a launch: the preflight (always) and the reviewer command (when
/// configured and not skipped). Both run before a version or a run row exists, so a blocked run
/// leaves nothing behind; the error names every problem. The reviews of a run that goes ahead
/// are recorded on its stage runs in the transaction that creates them (see `record`).
///
/// Upstream records a failed preflight on a run row; here a failed preflight creates no run at
/// all (nothing was saved or started), so its findings travel in the `preflight_failed` error's
/// detail instead, and only runs that exist carry reviews.
struct PreflightRunGate {
  let project: Project

  /// Reviews to record per stage (preflight, then pre_run); throws when either blocks.
  func check(
    _ request: RunRequest, slot: String, reason: String, definition: PipelineDefinition, selected: [String],
    overrides: [String: JSONValue]
  ) throws(GoldfishError) -> [String: [SVSReview]] {
    let directory = project.paths.slot(slot)
    let started = Date()
    let findings = Preflight(workspaceDirectory: directory, compiledCache: project.paths.compiledModules)
      .check(definition, stages: selected, issues: [])
    if let failure = Preflight.failure(findings) { throw failure }
    let elapsed = Int(Date().timeIntervalSince(started) * 1000)
    var reviews: [String: [SVSReview]] = [:]
    for stage in selected {
      let list = findings[stage] ?? []
      reviews[stage] = [
        SVSReview(
          stageRunID: "", kind: .preflight, decision: SVSReview.Decision(findings: list, blockOnError: true),
          reviewer: "preflight", findings: list, durationMS: elapsed)
      ]
    }
    let config = project.config.preRunReview
    guard config.enabled, !config.command.isEmpty else { return reviews }
    if request.skipReview {
      for stage in selected {
        reviews[stage, default: []].append(
          SVSReview(
            stageRunID: "", kind: .preRun, decision: .skipped, reviewer: "skip_review",
            findings: [SVSFinding(check: "skip_review", severity: .note, message: "skip_review: true; no reviewer ran")]
          ))
      }
      return reviews
    }
    let reviewer = PreRunReviewer(command: config.command, timeoutSeconds: config.timeoutSeconds)
    var answers: [String: SVSReview] = [:]
    for stage in selected {
      let document = try reviewRequest(
        request, slot: slot, reason: reason, definition: definition, stage: stage, override: overrides[stage])
      answers[stage] = reviewer.review(document, stage: stage)
    }
    if let blocked = PreRunReviewer.blocked(answers) { throw blocked }
    for (stage, review) in answers { reviews[stage, default: []].append(review) }
    return reviews
  }

  /// The one JSON document the reviewer reads (docs/schemas/pre-run-review-request.schema.json).
  func reviewRequest(
    _ request: RunRequest, slot: String, reason: String, definition: PipelineDefinition, stage name: String,
    override: JSONValue?
  ) throws(GoldfishError) -> JSONValue {
    let directory = project.paths.slot(slot)
    guard let stage = definition.stage(named: name) else { return .null }
    let config = try StageConfig.load(
      workspaceDirectory: directory, stage: name, defaults: stage.defaults, override: override)
    let workspace = try project.store.mount(slot: slot)?.workspace ?? slot
    let baseline = try project.store.stageRuns(
      workspace: workspace, stage: name, states: [.completed, .awaitingUserFinalization], limit: 1
    ).first
    var diff: JSONValue = .null
    if let baseline, let changes = try? project.workspaces.diff("\(workspace)@v\(baseline.version)", slot) {
      let cut = changes.patch.count > Self.diffLimit
      diff = [
        "from": .string(changes.from), "to": .string(changes.to), "baseline_run": .string(baseline.id),
        "files": .array(changes.changes.compactMap { try? JSONCoding.value(of: $0) }),
        "patch": .string(String(changes.patch.prefix(Self.diffLimit))), "truncated": .bool(cut),
      ]
    }
    let pipelineText = (try? String(contentsOfFile: directory + "/" + definition.file, encoding: .utf8)) ?? ""
    let moduleText = (try? String(contentsOfFile: directory + "/modules/\(name).py", encoding: .utf8)).map {
      String($0.prefix(Self.diffLimit))
    }
    return [
      "schema": "goldfish.pre_run_review.request/1",
      "workspace": .string(workspace), "stage": .string(name), "reason": .string(reason),
      "diff": diff, "module": moduleText.map(JSONValue.string) ?? .null,
      "config": config.values,
      "pipeline": ["file": .string(definition.file), "text": .string(pipelineText)],
      "inputs": .array(
        stage.inputs.map { input in
          [
            "name": .string(input.name), "type": .string(input.type.rawValue),
            "from_stage": input.fromStage.map(JSONValue.string) ?? .null,
            "signal": input.signal.map(JSONValue.string) ?? .null,
            "dataset": input.dataset.map(JSONValue.string) ?? .null,
          ]
        }),
      "outputs": .array(stage.outputs.map { ["name": .string($0.name), "type": .string($0.type.rawValue)] }),
      "results_spec": request.resultsSpec?.json ?? .null,
    ]
  }

  static let diffLimit = 200_000

  /// Writes each stage's reviews on its new run (called inside the transaction that inserts them).
  static func reviews(_ reviews: [String: [SVSReview]], for runs: [StageRunRecord]) -> [SVSReview] {
    runs.flatMap { run in
      (reviews[run.stage] ?? []).map { review in
        var review = review
        review.stageRunID = run.id
        return review
      }
    }
  }
}
