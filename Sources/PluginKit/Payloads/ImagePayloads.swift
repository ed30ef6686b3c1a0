public struct ImageBuildRequest: Codable, Sendable, Equatable {
  public var contextDir: String
  public var dockerfile: String
  public var tag: String
  public var buildArgs: [String: String]
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

public enum ImageBuildState: String, Codable, Sendable {
  case running, succeeded, failed, canceled
}

public struct ImageBuildStatus: Codable, Sendable, Equatable {
  private enum CodingKeys: String, CodingKey {
    case state
    case image
    case imageId = "image_id"
    case message
  }

  public var state: ImageBuildState
  public var image: String?
  public var imageId: String?
  public var message: String

  public init(state: ImageBuildState, image: String? = nil, imageId: String? = nil, message: String = "") {
    self.state = state
    self.image = image
    self.imageId = imageId
    self.message = message
  }
}
