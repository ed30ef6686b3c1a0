import Foundation
import PluginKit

/// Takes one stage run from `preparing` to `running`: resolves its inputs, reuses an
/// unchanged earlier run when it can, builds the run spec and launches it through the run
/// backend. The handle is stored before the launch call and replaced by the backend's own
/// right after, so a crash at any point leaves a handle that `recover` understands.
struct StageLauncher {
  let services: ExecutionServices
  let pipelineRun: PipelineRunRecord
  let definition: PipelineDefinition

  var project: Project { services.project }
  var store: ProjectStore { project.store }

  /// Never throws: whatever goes wrong ends this run as failed with the reason.
  func launch(_ run: StageRunRecord) {
    do {
      try launchOrThrow(run)
    } catch {
      let message = error.message + (error.hint.map { " (\($0))" } ?? "")
      let current = (try? store.stageRun(run.id))?.state ?? run.state
      let event: StageRunEvent = current == .launching ? .launchFail : current == .building ? .buildFail : .prepareFail
      _ = try? store.transition(
        run.id, event, TransitionContext(source: "executor", reason: message), update: ["error": message])
    }
  }

  private func launchOrThrow(_ run: StageRunRecord) throws(GoldfishError) {
    guard let stage = definition.stage(named: run.stage), let codeDir = pipelineRun.codeDir else {
      throw GoldfishError(.notFound, "stage \(run.stage) is not in pipeline \(definition.name)")
    }
    let override = pipelineRun.configOverride.flatMap { try? JSONCoding.parse($0) }?[run.stage]
    let config = try StageConfig.load(
      workspaceDirectory: codeDir, stage: stage.name, defaults: stage.defaults, override: override)
    // Checked again here: goldfish.yaml may name another backend than when the run started.
    try ProfileDemands.check(
      stage: stage.name, profile: config.profileName ?? "cpu-small", backend: services.backendClient,
      plugins: services.plugins, config: project.config)
    let workDir = project.paths.runLayout.folder(run.id)
    let inputs = try InputResolver(services: services, pipelineRun: pipelineRun, run: run)
      .resolve(stage, stagingDir: RunLayout.inputsDir(workDir: workDir))
    let profile = project.config.profiles.definitions[config.profileName ?? "cpu-small"]
    let environment =
      services.builderClient == nil ? "" : StageImage.Recipe(project.config.docker, profile: profile).identity
    let fingerprint = Fingerprint.of(
      stage: stage, definition: definition, codeDir: codeDir, config: config.values, inputs: inputs,
      environment: environment)
    if !pipelineRun.rerun,
      let earlier = try store.reusableRun(workspace: run.workspace, stage: run.stage, fingerprint: fingerprint)
    {
      try reuse(earlier, for: run, fingerprint: fingerprint, inputs: inputs)
      return
    }

    try store.transition(
      run.id, .buildStart, TransitionContext(source: "executor"),
      update: [
        "work_dir": workDir, "fingerprint": fingerprint, "config": try? JSONCoding.encode(config.values),
        "profile": config.profileName,
      ])
    try store.recordSignals(inputs.map(\.lineage))
    // Backends that run stages in containers get the stage image built (or reused) here.
    let image = try services.builderClient.map { builder throws(GoldfishError) in
      try StageImage(services: services, builder: builder).prepare(
        codeDir: codeDir, workDir: workDir, runID: run.id, profile: config.profileName)
    }
    try store.transition(run.id, .buildOK, TransitionContext(source: "executor", reason: image.map { "image \($0)" }))

    var spec = try RunSpecBuilder(project: project, pipelineRun: pipelineRun, run: run, stage: stage, config: config)
      .build(workDir: workDir, codeDir: codeDir, inputs: inputs)
    spec.image = image
    let backendName = services.backend.info.name
    let provisional: JSONValue = [
      "run_id": .string(run.id), "backend": .string(backendName), "work_dir": .string(workDir),
    ]
    try store.updateStageRun(
      run.id, expecting: .launching,
      ["backend": backendName, "backend_handle": try? JSONCoding.encode(provisional)])
    do {
      _ = try JSONCoding.value(of: spec)
    } catch {
      throw GoldfishError(.runRefused, "the run spec of \(run.stage) cannot be encoded: \(error.message)")
    }
    let handle: JSONValue
    if let pooled = try WarmDispatcher(pool: WarmPool(services: services))
      .dispatch(runID: run.id, spec: spec)
    {
      handle = pooled
    } else {
      do {
        handle = try services.backendClient.launch(spec)
      } catch {
        throw ExecutionServices.failure(error, while: "the \(backendName) backend could not launch \(run.stage)")
      }
    }
    FaultPoint.hit(.afterLaunchBeforeHandle)
    if handle[RunHandleKey.pendingUntilStarted]?.boolValue == true {
      // Launched but not started (a VM whose agent has not claimed the job yet): the run stays
      // `launching` with its real handle; StageFinalizer records `running` once the backend says so.
      try store.updateStageRun(run.id, expecting: .launching, ["backend_handle": try? JSONCoding.encode(handle)])
      FaultPoint.hit(.afterHandleSaved)
      return
    }
    do {
      try store.transition(
        run.id, .launchOK, TransitionContext(source: "executor"),
        update: [
          "backend_handle": try? JSONCoding.encode(handle),
          // A backend's word that the run has no sandbox: kept (a bounded prefix) and shown everywhere.
          "unsandboxed": handle["unsandboxed"]?.stringValue.map { String($0.prefix(500)) },
        ])
    } catch {
      // Not recorded as running (canceled meanwhile, or the write failed): the run ends canceled
      // or failed, so its job must not go on with nobody watching it.
      try? services.backendClient.cancel(handle: handle, reason: "user")
      throw error
    }
    FaultPoint.hit(.afterHandleSaved)
  }

  /// An earlier run with the same code, config and inputs: its outputs stand for this run's.
  private func reuse(
    _ earlier: StageRunRecord, for run: StageRunRecord, fingerprint: String, inputs: [ResolvedInput]
  )
    throws(GoldfishError)
  {
    // Point at the run that produced the outputs, not at another reuse of it.
    let origin = earlier.reusedFrom ?? earlier.id
    let outputs = try store.signals(of: earlier.id).filter { $0.direction == "output" }.map { signal in
      SignalRecord(
        stageRunID: run.id, signal: signal.signal, direction: "output", signalType: signal.signalType, uri: signal.uri,
        sizeBytes: signal.sizeBytes, hash: signal.hash, sourceStageRunID: origin)
    }
    try store.recordSignals(inputs.map(\.lineage) + outputs)
    try store.transition(
      run.id, .reuse, TransitionContext(source: "executor", reason: "nothing changed since \(origin)"),
      update: [
        "fingerprint": fingerprint, "reused_from": origin, "outputs": earlier.outputs, "exit_code": earlier.exitCode,
      ])
  }
}
