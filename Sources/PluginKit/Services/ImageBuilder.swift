/// Builds the container images stages run in.
public protocol ImageBuilder: PluginService {
  /// Starts a build and returns its id promptly.
  func build(_ request: ImageBuildRequest) throws(PluginError) -> String
  func buildStatus(id: String) throws(PluginError) -> ImageBuildStatus
  func buildLogs(id: String, offset: Int64) throws(PluginError) -> LogChunk
  /// The image id when an image with this tag exists, nil otherwise.
  func imageID(tag: String) throws(PluginError) -> String?
}

extension ImageBuilder {
  public static var kind: ServiceKind { .imageBuilder }
}

/// A builder with a registry behind it.
public protocol RegistryImageBuilder: ImageBuilder {
  /// Pushes `tag` to `destination` and returns the pushed digest.
  func push(tag: String, destination: String) throws(PluginError) -> String
}
