import PluginKit

/// The plugins a project runs against, opened once per process by the names goldfish.yaml
/// gives (`jobs.backend`, `storage.backend`).
public final class ExecutionServices: Sendable {
  public let project: Project
  public let plugins: PluginHost
  public let backend: OpenedService
  public let storage: OpenedService
  /// Opened only when the backend declares `needs_image`: `jobs.image_builder`, else the
  /// builder named like the backend (docker builds for docker).
  public let imageBuilder: OpenedService?
  /// The same services, typed: the way host code calls them.
  public let backendClient: RunBackendClient
  public let storageClient: ObjectStorageClient
  public let builderClient: ImageBuilderClient?
  /// Where the backend's machines pull stage images from (`<backend>.artifact_registry`, e.g.
  /// `gce.artifact_registry`): the host builds each stage image, pushes it there and hands the
  /// backend the registry's reference. Nil for backends that run the builder's local images.
  public let imageRegistry: String?

  public init(project: Project, plugins: PluginHost) throws(GoldfishError) {
    self.project = project
    self.plugins = plugins
    backend = try plugins.openSelected(.runBackend)
    storage = try plugins.openSelected(.objectStorage)
    backendClient = RunBackendClient(backend)
    storageClient = ObjectStorageClient(storage)
    imageRegistry = Self.registry(of: backend.info.name, in: plugins)
    if backendClient.capabilities.needsImage {
      imageBuilder = try plugins.open(.imageBuilder, project.config.jobs.imageBuilder ?? backend.info.name)
    } else if imageRegistry != nil {
      // A remote backend (gce) runs the image it is given; docker builds it unless told otherwise.
      imageBuilder = try plugins.open(.imageBuilder, project.config.jobs.imageBuilder ?? "docker")
    } else {
      imageBuilder = nil
    }
    builderClient = imageBuilder.map(ImageBuilderClient.init)
    guard backend.info.implemented else {
      throw GoldfishError(
        .serviceUnsupported, "the run backend \(backend.info.name) is not implemented in this build",
        hint: "set jobs.backend in goldfish.yaml to one of: "
          + plugins.registry.serviceNames(.runBackend).joined(separator: ", "))
    }
    guard storage.info.implemented else {
      throw GoldfishError(
        .serviceUnsupported, "the storage \(storage.info.name) is not implemented in this build",
        hint: "set storage.backend in goldfish.yaml to one of: "
          + plugins.registry.serviceNames(.objectStorage).joined(separator: ", "))
    }
  }

  /// `<backend>.artifact_registry` of goldfish.yaml, without a trailing slash; nil when unset or empty.
  static func registry(of backend: String, in plugins: PluginHost) -> String? {
    guard var text = plugins.document?.section(backend)["artifact_registry"]?.stringValue else { return nil }
    while text.hasSuffix("/") { text.removeLast() }
    return text.isEmpty ? nil : text
  }

  public static func open(_ project: Project) throws(GoldfishError) -> ExecutionServices {
    try ExecutionServices(project: project, plugins: project.plugins)
  }

  /// A plugin failure as a Goldfish error, keeping the plugin's code and retryability.
  static func failure(_ error: PluginCallError, while action: String) -> GoldfishError {
    GoldfishError(
      error.fault == .crashed ? .pluginCrashed : .pluginCallFailed, "\(action): \(error.error.message)",
      detail: [
        "plugin": .string(error.plugin), "service": .string(error.service), "function": .string(error.function),
        "code": .string(error.error.code.rawValue), "retryable": .bool(error.error.retryable),
        "fault": .string(error.fault.rawValue),
      ])
  }
}
