/// The request of `build`.
public struct ImageBuildRequest: Codable, Sendable, Equatable {
  /// The build context: an absolute folder.
  public var contextDir: String
  /// The Dockerfile's path inside the context. Absent: `Dockerfile`.
  public var dockerfile: String
  /// The tag to give the image, e.g. `goldfish/stage:abc123` (named after a content hash).
  public var tag: String
  /// `--build-arg` values.
  public var buildArgs: [String: String]
  /// Labels to put on the image.
  public var labels: [String: String]

  public init(
    contextDir: String, dockerfile: String = "Dockerfile", tag: String,
    buildArgs: [String: String] = [:], labels: [String: String] = [:]
  ) {
    self.contextDir = contextDir
    self.dockerfile = dockerfile
    self.tag = tag
    self.buildArgs = buildArgs
    self.labels = labels
  }

  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    contextDir = try c.decode(String.self, forKey: .contextDir)
    dockerfile = try c.decodeIfPresent(String.self, forKey: .dockerfile) ?? "Dockerfile"
    tag = try c.decode(String.self, forKey: .tag)
    buildArgs = try c.decodeIfPresent([String: String].self, forKey: .buildArgs) ?? [:]
    labels = try c.decodeIfPresent([String: String].self, forKey: .labels) ?? [:]
  }

  private enum CodingKeys: String, CodingKey {
    case contextDir = "context_dir"
    case dockerfile, tag
    case buildArgs = "build_args"
    case labels
  }
}

/// Where a build is.
public enum ImageBuildState: String, Codable, Sendable {
  case running, succeeded, failed, canceled
}

/// The answer of `build_status`.
public struct ImageBuildStatus: Codable, Sendable, Equatable {
  private enum CodingKeys: String, CodingKey {
    case state
    case image
    case imageId = "image_id"
    case message
  }

  /// Where the build is.
  public var state: ImageBuildState
  /// The built image's tag, once it succeeded.
  public var image: String?
  /// The built image's id (`sha256:…`), once it succeeded.
  public var imageId: String?
  /// Free text for people: why it failed.
  public var message: String

  public init(state: ImageBuildState, image: String? = nil, imageId: String? = nil, message: String = "") {
    self.state = state
    self.image = image
    self.imageId = imageId
    self.message = message
  }
}
