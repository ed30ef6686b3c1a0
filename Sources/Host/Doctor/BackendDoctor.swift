import PluginKit

/// What `goldfish gce doctor` shows: every prerequisite the backend checked, each failed one
/// with its fix. `passed` is false when any check failed (warnings and skips pass).
public struct BackendDiagnosis: Encodable, Sendable {
  private enum CodingKeys: String, CodingKey {
    case backend, passed, checks
    case imageInvolved = "image_involved"
  }

  public let backend: String
  /// Why runs bring a stage image (GCEImageRule), nil when they do not.
  public let imageInvolved: String?
  public let checks: [DiagnosticCheck]
  public var passed: Bool { !checks.contains { $0.status == .failed } }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(backend, forKey: .backend)
    try container.encode(passed, forKey: .passed)
    try container.encode(imageInvolved, forKey: .imageInvolved)
    try container.encode(checks, forKey: .checks)
  }
}

/// Asks a run backend (`diagnose`, ABI 1.4) whether the project's cloud has what its runs will
/// need, with the project's every compute profile and whether runs bring an image. The backend
/// is opened with its own goldfish.yaml section whichever backend `jobs.backend` selects, so a
/// project can be checked before it switches.
public enum BackendDoctor {
  public static func run(_ project: Project, backend name: String) throws(GoldfishError) -> BackendDiagnosis {
    let service = try project.plugins.open(.runBackend, name)
    guard service.supports(RunBackendFunction.diagnose.rawValue) else {
      throw GoldfishError(
        .serviceUnsupported, "the \(name) backend (plugin \(service.plugin.name)) has no checks to run (no diagnose)",
        hint: "update the plugin; diagnose arrived in plugin ABI 1.4")
    }
    let profiles = project.config.profiles.definitions.keys.sorted().compactMap { profileName in
      project.config.profiles.definitions[profileName].map { definition in
        ResourceProfile(
          name: profileName, gpu: RunSpecBuilder.gpu(definition),
          spot: definition.preemptibleAllowed && !definition.onDemandAllowed, machineType: definition.machineType,
          definition: definition.json)
      }
    }
    let image = GCEImageRule.reason(project.config, document: project.plugins.document)
    do {
      let diagnosis = try RunBackendClient(service).diagnose(
        DiagnoseRequest(profiles: profiles, imageInvolved: image != nil))
      return BackendDiagnosis(backend: name, imageInvolved: image, checks: diagnosis.checks)
    } catch {
      throw ExecutionServices.failure(error, while: "the \(name) backend could not run its checks")
    }
  }
}
