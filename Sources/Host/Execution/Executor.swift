import Foundation
import PluginKit

extension GoldfishError.Code {
  public static let runRefused = Self("run_refused")
}

/// Starts runs: versions the workspace before anything executes, validates the pipeline,
/// records a pipeline run with one stage run per selected stage, and hands them to a driver.
public struct Executor: Sendable {
  public let services: ExecutionServices
  var project: Project { services.project }

  public init(services: ExecutionServices) { self.services = services }

  public struct Started: Codable, Sendable {
    public var pipelineRunID: String
    public var workspace: String
    public var version: String
    public var stageRuns: [String: String]

    enum CodingKeys: String, CodingKey {
      case pipelineRunID = "pipeline_run_id"
      case workspace, version
      case stageRuns = "stage_runs"
    }
  }

  public func start(_ request: RunRequest) throws(GoldfishError) -> Started {
    let reason = try Reason.validate(request.reason, minimum: project.settings.minReasonLength)
    let slot = try slot(for: request.target)
    try checkDiscipline(request, slot: slot)
    let group = try Self.experimentGroup(request.experimentGroup)
    // Refuse a broken pipeline before anything is saved or started.
    let plan = try plan(request, in: project.paths.slot(slot))
    // Preflight and the reviewer command, before anything is saved: a blocked run leaves nothing.
    let reviews = try PreflightRunGate(project: project).check(
      request, slot: slot, reason: reason, definition: plan.0, selected: plan.1, overrides: plan.2)
    // Provenance: the exact files that run are a version before anything executes.
    let checkpoint = try project.workspaces.checkpoint(
      slot: slot, message: "Run: \(reason)", reason: reason, createdBy: "run")
    FaultPoint.hit(.afterVersionBeforeLaunch)
    let workspace = checkpoint.workspace
    guard let number = Int(checkpoint.version.dropFirst()),
      let version = try project.store.version(of: workspace, number)
    else {
      throw GoldfishError(.notFound, "version \(checkpoint.version) of \(workspace) vanished")
    }
    let pipelineRunID = RunIdentifiers.pipelineRun()
    let codeDir = project.paths.runLayout.codeDir(pipelineRun: pipelineRunID)
    try project.repository.materialize(try CommitID.stored(version.sha), into: codeDir, preserving: [])
    ReadOnly.apply(codeDir)
    let (definition, selected, overrides, inputs) = plan
    let runs = selected.map { stage in
      StageRunRecord(
        id: RunIdentifiers.stageRun(), workspace: workspace, version: version.version, pipeline: definition.name,
        stage: stage, reason: reason, pipelineRunID: pipelineRunID)
    }
    let overrideText = try? JSONCoding.encode(JSONValue.object(overrides))
    let record = PipelineRunRecord(
      id: pipelineRunID, workspace: workspace, pipeline: definition.name, version: version.version,
      status: "running", reason: reason, createdAt: Timestamp.now(),
      stages: try? JSONCoding.encode(JSONValue.array(selected.map { .string($0) })),
      configOverride: overrideText, codeDir: codeDir, rerun: request.rerun,
      pipelineFile: PipelineLoader.file(for: request.pipeline), experimentGroup: group,
      resultsSpec: request.resultsSpec.flatMap { try? JSONCoding.encode($0.json) },
      inputsOverride: inputs.isEmpty ? nil : try? JSONCoding.encode(InputOverrides.encode(inputs)))
    try project.store.insertPipelineRun(
      record, stageRuns: runs, reviews: PreflightRunGate.reviews(reviews, for: runs))
    try project.journal.record(
      "run", reason: reason, slot: slot, workspace: workspace,
      details: [
        "pipeline_run": .string(pipelineRunID), "version": .string(version.label),
        "stages": .array(selected.map { .string($0) }), "rerun": .bool(request.rerun),
        "experiment_group": group.map { .string($0) } ?? .null,
        "inputs_override": inputs.isEmpty ? .null : InputOverrides.encode(inputs),
      ])
    BackupTrigger.fire(project, "run", details: pipelineRunID)
    return Started(
      pipelineRunID: pipelineRunID, workspace: workspace, version: version.label,
      stageRuns: Dictionary(uniqueKeysWithValues: runs.map { ($0.stage, $0.id) }))
  }

  /// A results spec and no unfinalized runs, as far as `audit:` asks, checked before anything is
  /// saved or started.
  private func checkDiscipline(_ request: RunRequest, slot: String) throws(GoldfishError) {
    guard request.enforceDiscipline else { return }
    let audit = project.config.audit
    if audit.requireResultsSpec && request.resultsSpec == nil { throw RunDiscipline.missingSpec() }
    if audit.finalizationGate, let workspace = try project.store.mount(slot: slot)?.workspace {
      try RunDiscipline(project: project).checkFinalized(workspace: workspace)
    }
  }

  static func experimentGroup(_ text: String?) throws(GoldfishError) -> String? {
    guard let text else { return nil }
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    let control = trimmed.unicodeScalars.contains { $0.properties.generalCategory == .control }
    guard !trimmed.isEmpty, trimmed.count <= 128, !control else {
      throw GoldfishError(
        .invalidArgument, "experiment_group must be 1 to 128 characters without control characters",
        hint: "a short label such as lr-sweep")
    }
    return trimmed
  }

  /// The pipeline, the stages to run, each one's config overrides and its input overrides, validated.
  private func plan(
    _ request: RunRequest, in directory: String
  ) throws(GoldfishError)
    -> (PipelineDefinition, [String], [String: JSONValue], [String: [String: InputOverride]])
  {
    let validator = project.pipelineValidator(directory: directory)
    let parsed = PipelineLoader.parse(workspaceDirectory: directory, pipeline: request.pipeline)
    guard let definition = parsed.definition else {
      throw parsed.issues.asError() ?? GoldfishError(.runRefused, "the pipeline in \(directory) could not be read")
    }
    let selected = try select(request.stages, in: definition)
    let names = Set(definition.stages.map(\.name))
    let overrides =
      request.configOverrides.isEmpty
      ? [:] : Dictionary(uniqueKeysWithValues: selected.map { ($0, request.overrides(for: $0, stages: names)) })
    // The parser's own errors (wrong types, no stages) too: it returns what it could read.
    if let error = (parsed.issues + validator.validate(definition, configOverrides: overrides)).asError() {
      throw error
    }
    // A profile the backend cannot honour (a GPU on a machine without one) is refused here, before
    // a version, a run row or a job exists.
    for name in selected {
      guard let stage = definition.stage(named: name) else { continue }
      let config = try StageConfig.load(
        workspaceDirectory: directory, stage: name, defaults: stage.defaults, override: overrides[name])
      try ProfileDemands.check(
        stage: name, profile: config.profileName ?? "cpu-small", backend: services.backendClient,
        plugins: services.plugins, config: project.config)
    }
    let inputs =
      try request.inputsOverride.map { value throws(GoldfishError) in
        try InputOverrides.validate(value, selected: selected, definition: definition, store: project.store)
      } ?? [:]
    return (definition, selected, overrides, inputs)
  }

  /// Cancels a stage run, or every unfinished stage of a pipeline run.
  public func cancel(_ id: String, reason: String) throws(GoldfishError) -> [String] {
    let reason = try Reason.validate(reason, minimum: project.settings.minReasonLength)
    let runs: [StageRunRecord]
    if id.hasPrefix("prun-") {
      runs = try project.store.stageRuns(ofPipelineRun: id)
    } else if let run = try project.store.stageRun(id) {
      runs = [run]
    } else {
      throw GoldfishError(.notFound, "no run \(RunIdentifiers.display(id))", hint: "list runs with goldfish runs")
    }
    var canceled: [String] = []
    // Only runs still going: a run awaiting finalization already ended well, and canceling it
    // would throw away the result the agent is about to record.
    for run in runs where run.state.isActive {
      // The job is stopped before the record says so: a crash in between leaves a run whose
      // backend reports it canceled, which the driver records. The other order would leave a
      // record saying canceled over a job nobody stops any more.
      if let handle = run.backendHandle.flatMap({ try? JSONCoding.parse($0) }) {
        try? services.backendClient.cancel(handle: handle, reason: "user")
      }
      FaultPoint.hit(.duringCancel)
      let outcome: TransitionOutcome
      do {
        outcome = try project.store.transition(run.id, .userCancel, TransitionContext(source: "user", reason: reason))
      } catch {
        // Its job ended well meanwhile: the run awaits finalization and its result stands.
        if try project.store.stageRun(run.id)?.state == .awaitingUserFinalization { continue }
        throw error
      }
      // The driver may have recorded the backend's "canceled" first: still this cancel's doing.
      if case .moved = outcome {
        canceled.append(run.id)
      } else if try project.store.stageRun(run.id)?.state == .canceled {
        canceled.append(run.id)
      }
      // Like every other ending: the log reaches storage and the backend releases what the
      // job held (for a cloud backend, whatever cancel alone does not).
      if let handle = run.backendHandle.flatMap({ try? JSONCoding.parse($0) }) {
        _ = StageFinalizer(services: services).storeLogs((try? project.store.stageRun(run.id)) ?? run, handle: handle)
        try? services.backendClient.cleanup(handle: handle)
      }
      // Only the worker leased to this very run is deleted (upstream #29).
      WarmRunEnd(pool: WarmPool(services: services)).runEnded(run.id, state: .canceled, source: "cancel")
    }
    try project.journal.record("cancel", reason: reason, details: ["runs": .array(canceled.map { .string($0) })])
    return canceled
  }

  private func slot(for target: String) throws(GoldfishError) -> String {
    if project.settings.slots.contains(target) { return target }
    guard let mount = try project.store.mount(ofWorkspace: target) else {
      if try project.store.workspace(target) != nil {
        throw GoldfishError(
          .runRefused, "workspace \(target) is not mounted",
          hint: "mount it first: goldfish workspace mount \(target) SLOT --reason …")
      }
      throw GoldfishError(
        .notFound, "\(target) is neither a slot nor a workspace",
        hint: "slots: \(project.settings.slots.joined(separator: ", "))")
    }
    return mount.slot
  }

  private func select(_ requested: [String], in definition: PipelineDefinition) throws(GoldfishError) -> [String] {
    let order = definition.topologicalOrder()
    guard !requested.isEmpty else { return order }
    for stage in requested where definition.stage(named: stage) == nil {
      throw GoldfishError(
        .notFound, "pipeline \(definition.name) has no stage \(stage)",
        hint: "its stages: \(order.joined(separator: ", "))")
    }
    return order.filter(requested.contains)
  }
}
