import PluginKit

/// An image builder seen through its table: one typed method per function over the PluginKit
/// requests and responses. Every failure is a `PluginCallError` naming the plugin, the service and
/// the function; an answer of the wrong shape is one with the fault `invalid_response`.
public struct ImageBuilderClient: Sendable {
  public let service: OpenedService
  /// What the builder declares, typed (bad keys read as absent; `plugins check` reports them).
  public let capabilities: ImageBuilderCapabilities

  public init(_ service: OpenedService) {
    self.service = service
    capabilities = ImageBuilderCapabilities(declared: service.info.capabilities)
  }

  public var name: String { service.info.name }

  /// Starts a build; answers promptly with its id.
  public func build(_ request: ImageBuildRequest) throws(PluginCallError) -> BuildStartedResponse {
    try service.send("build", request, as: BuildStartedResponse.self)
  }

  public func buildStatus(_ request: BuildStatusRequest) throws(PluginCallError) -> ImageBuildStatus {
    try service.send("build_status", request, as: ImageBuildStatus.self)
  }

  public func buildLogs(_ request: BuildLogsRequest) throws(PluginCallError) -> LogChunk {
    try service.send("build_logs", request, as: LogChunk.self)
  }

  public func exists(_ request: ImageTagRequest) throws(PluginCallError) -> ImageExistsResponse {
    try service.send("exists", request, as: ImageExistsResponse.self)
  }

  public func push(_ request: ImagePushRequest) throws(PluginCallError) -> ImagePushResponse {
    try service.send("push", request, as: ImagePushResponse.self)
  }
}
