import PluginKit

extension GoldfishError.Code {
  /// A stage's resource profile asks for something the run backend does not declare.
  public static let profileUnsupported = Self("profile_unsupported")
}

/// What a stage's resource profile asks of the run backend beyond running a command: GPUs, spot
/// capacity, a network setting, enforced limits. Checked against the backend's declared
/// capabilities before anything is recorded or launched, so a GPU stage is never quietly run on a
/// machine without one. A profile's machine shape (`vcpus`, `memory_gb`) is sizing, not a demand.
public struct ProfileDemands: Equatable {
  var profile: String
  var gpu: ResourceProfileDefinition.GPU?
  /// The profile may only run on spot capacity (`preemptible_allowed` without `on_demand_allowed`).
  var spotOnly = false
  /// The run spec carries `profile.network`, which only a backend with `network_policy` honours.
  var network = false
  /// Limits asked explicitly: the profile's own `cpus`/`memory_mb`, or `jobs.container_*`.
  var limits: [ResourceLimit] = []

  init(profile: String, config: GoldfishConfig) {
    self.profile = profile
    let definition = config.profiles.definitions[profile]
    if let gpu = definition?.gpu, gpu.count > 0, gpu.type != "none" { self.gpu = gpu }
    if let definition { spotOnly = definition.preemptibleAllowed && !definition.onDemandAllowed }
    network = config.docker.network == .host
    if definition?.cpus != nil || config.jobs.containerCPUs != nil { limits.append(.cpus) }
    if definition?.memoryMB != nil || config.jobs.containerMemory != nil { limits.append(.memoryMB) }
    if config.jobs.containerPIDs != nil { limits.append(.pids) }
  }

  /// What the backend lacks, one phrase each; empty when it can run the profile.
  func lacking(in capabilities: RunBackendCapabilities) -> [String] {
    var missing: [String] = []
    if let gpu, !capabilities.gpu {
      missing.append("GPUs (the profile asks for \(gpu.count) \(gpu.type); the backend declares \"gpu\": false)")
    }
    if spotOnly && !capabilities.spot {
      missing.append("spot capacity (the profile runs on spot only; the backend declares \"spot\": false)")
    }
    if network && !capabilities.networkPolicy {
      missing.append(
        "a network policy (docker.network: host asks for the job's network; the backend declares \"network_policy\": false)"
      )
    }
    let unenforced = limits.filter { !capabilities.resourceLimits.contains($0) }
    if !unenforced.isEmpty {
      missing.append(
        "resource limits \(unenforced.map(\.rawValue).joined(separator: ", ")) (the backend enforces "
          + (capabilities.resourceLimits.isEmpty
            ? "none" : capabilities.resourceLimits.map(\.rawValue).joined(separator: ", ")) + ")")
    }
    return missing
  }

  /// Refuses a stage whose profile the backend cannot honour, naming the stage, the profile, the
  /// backend, what it lacks and which backends of this build would do.
  static func check(
    stage: String, profile: String, backend: RunBackendClient, plugins: PluginHost, config: GoldfishConfig
  ) throws(GoldfishError) {
    try check(
      stage: stage, profile: profile, backend: backend.name, capabilities: backend.capabilities, plugins: plugins,
      config: config)
  }

  /// The same check from what a backend declares, for a dry run that opens nothing.
  static func check(
    stage: String, profile: String, backend: String, capabilities: RunBackendCapabilities, plugins: PluginHost,
    config: GoldfishConfig
  ) throws(GoldfishError) {
    let demands = ProfileDemands(profile: profile, config: config)
    let missing = demands.lacking(in: capabilities)
    guard !missing.isEmpty else { return }
    let able = plugins.registry.plugins.flatMap(\.services).filter { service in
      service.kind == ServiceKind.runBackend.label && service.implemented && service.name != backend
        && demands.lacking(in: RunBackendCapabilities(declared: service.capabilities)).isEmpty
    }.map(\.name)
    throw GoldfishError(
      .profileUnsupported,
      "stage \(stage) uses the profile \(profile), which the \(backend) backend cannot run: it lacks "
        + missing.joined(separator: "; "),
      hint: "pick another backend"
        + (able.isEmpty ? "" : " (jobs.backend: \(able.sorted().joined(separator: " or ")))")
        + " or another profile (compute.profile in \(StageConfig.file(for: stage)), e.g. cpu-small)",
      detail: [
        "stage": .string(stage), "profile": .string(profile), "backend": .string(backend),
        "lacking": .array(missing.map { .string($0) }),
      ])
  }
}

extension ProfileDemands {
  /// What `run` would refuse as `profile_unsupported`, without opening the backend or recording
  /// anything: the selected backend's declared capabilities against each stage's profile, with
  /// the config overrides the run would apply. For `dry_run`; empty when no backend is selected
  /// (opening it reports that).
  public static func refusals(
    project: Project, directory: String, definition: PipelineDefinition, stages: [String],
    configOverrides: [String: JSONValue]
  ) -> [GoldfishError] {
    guard let backend = try? project.plugins.selectedName(.runBackend),
      let declared = project.plugins.registry.info(.runBackend, backend)
    else { return [] }
    let capabilities = RunBackendCapabilities(declared: declared.service.capabilities)
    let names = Set(definition.stages.map(\.name))
    let request = RunRequest(target: "", configOverrides: configOverrides, reason: "")
    var refusals: [GoldfishError] = []
    for name in stages {
      guard let stage = definition.stage(named: name) else { continue }
      do throws(GoldfishError) {
        let config = try StageConfig.load(
          workspaceDirectory: directory, stage: name, defaults: stage.defaults,
          override: configOverrides.isEmpty ? nil : request.overrides(for: name, stages: names))
        try check(
          stage: name, profile: config.profileName ?? "cpu-small", backend: backend, capabilities: capabilities,
          plugins: project.plugins, config: project.config)
      } catch {
        // An unreadable stage config is the validator's to report, once.
        if error.code == .profileUnsupported { refusals.append(error) }
      }
    }
    return refusals
  }
}
