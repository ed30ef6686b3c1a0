// The requests and answers of the image builder table (goldfish_plugin.h, gf_image_builder_v1) other
// than `ImageBuildRequest` and `ImageBuildStatus`: the host encodes them through `ImageBuilderClient`,
// PluginKit decodes them before calling an `ImageBuilder`.

/// The answer of `build`.
public struct BuildStartedResponse: Codable, Sendable, Equatable {
  private enum CodingKeys: String, CodingKey {
    case buildId = "build_id"
  }

  /// The builder's id of the build, for `build_status` and `build_logs`.
  public var buildId: String

  public init(buildId: String) {
    self.buildId = buildId
  }
}

/// The request of `build_status`.
public struct BuildStatusRequest: Codable, Sendable, Equatable {
  private enum CodingKeys: String, CodingKey {
    case buildId = "build_id"
  }

  /// The id `build` returned.
  public var buildId: String

  public init(buildId: String) {
    self.buildId = buildId
  }
}

/// The request of `build_logs`.
public struct BuildLogsRequest: Codable, Sendable, Equatable {
  private enum CodingKeys: String, CodingKey {
    case buildId = "build_id"
    case offset
  }

  /// The id `build` returned.
  public var buildId: String
  /// Byte offset into the build log; the previous chunk's `next_offset`. Absent means 0.
  public var offset: Int64?

  public init(buildId: String, offset: Int64? = nil) {
    self.buildId = buildId
    self.offset = offset
  }
}

/// The request of `exists`.
public struct ImageTagRequest: Codable, Sendable, Equatable {
  /// The image tag, e.g. `goldfish/stage:abc123`.
  public var tag: String

  public init(tag: String) {
    self.tag = tag
  }
}

/// The answer of `exists`.
public struct ImageExistsResponse: Codable, Sendable, Equatable {
  private enum CodingKeys: String, CodingKey {
    case exists
    case imageId = "image_id"
  }

  /// Whether an image with the tag exists.
  public var exists: Bool
  /// Its id (e.g. `sha256:…`) when it exists.
  public var imageId: String?

  public init(exists: Bool, imageId: String? = nil) {
    self.exists = exists
    self.imageId = imageId
  }

  public func encode(to encoder: Encoder) throws {
    // image_id is written as null when absent: plugins in other languages see every key.
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(exists, forKey: .exists)
    try c.encode(imageId, forKey: .imageId)
  }
}

/// The request of `push`.
public struct ImagePushRequest: Codable, Sendable, Equatable {
  /// The local image tag to push.
  public var tag: String
  /// The registry reference to push it to, e.g. `us-docker.pkg.dev/p/r/stage:abc123`.
  public var destination: String

  public init(tag: String, destination: String) {
    self.tag = tag
    self.destination = destination
  }
}

/// The answer of `push`.
public struct ImagePushResponse: Codable, Sendable, Equatable {
  /// The pushed image's digest, e.g. `sha256:…`.
  public var digest: String

  public init(digest: String) {
    self.digest = digest
  }
}
