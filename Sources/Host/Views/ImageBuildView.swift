/// A build as `get_build_status` and `goldfish images status` show it (upstream's keys; the
/// registry and cloud ones stay null: builds are local until issue #15).
public struct ImageBuildView: Codable, Sendable, Equatable {
  public var buildId: String
  public var imageType: String
  public var target: String
  public var backend: String
  public var status: String
  public var startedAt: String
  public var completedAt: String?
  public var error: String?
  public var imageTag: String?
  public var registryTag: String?
  /// The last lines of the build log.
  public var logsTail: String
  /// The whole build log: a file in the project.
  public var logsUri: String?
  public var cloudBuildId: String?

  enum CodingKeys: String, CodingKey {
    case target, backend, status, error
    case buildId = "build_id"
    case imageType = "image_type"
    case startedAt = "started_at"
    case completedAt = "completed_at"
    case imageTag = "image_tag"
    case registryTag = "registry_tag"
    case logsTail = "logs_tail"
    case logsUri = "logs_uri"
    case cloudBuildId = "cloud_build_id"
  }

  public init(_ record: ImageBuildRecord, logsTail: String) {
    buildId = record.id
    imageType = record.imageType
    target = record.target
    backend = "local"
    status = record.status.rawValue
    startedAt = record.startedAt
    completedAt = record.completedAt
    error = record.error
    imageTag = record.imageTag
    registryTag = nil
    self.logsTail = logsTail
    logsUri = record.logPath
    cloudBuildId = nil
  }

  public func encode(to encoder: Encoder) throws {
    // Every key, null when absent: the shape does not change with the state.
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(buildId, forKey: .buildId)
    try c.encode(imageType, forKey: .imageType)
    try c.encode(target, forKey: .target)
    try c.encode(backend, forKey: .backend)
    try c.encode(status, forKey: .status)
    try c.encode(startedAt, forKey: .startedAt)
    try c.encode(completedAt, forKey: .completedAt)
    try c.encode(error, forKey: .error)
    try c.encode(imageTag, forKey: .imageTag)
    try c.encode(registryTag, forKey: .registryTag)
    try c.encode(logsTail, forKey: .logsTail)
    try c.encode(logsUri, forKey: .logsUri)
    try c.encode(cloudBuildId, forKey: .cloudBuildId)
  }
}

/// What `manage_base_images push` and `goldfish images push` answer: the image in the engine,
/// its reference in the registry, and the build that made it when one was needed.
public struct ImagePushView: Codable, Sendable, Equatable {
  public var imageTag: String
  public var registryTag: String
  public var registry: String
  public var buildId: String?
  /// Whether the push had to build the image first.
  public var built: Bool

  enum CodingKeys: String, CodingKey {
    case registry, built
    case imageTag = "image_tag"
    case registryTag = "registry_tag"
    case buildId = "build_id"
  }

  public func encode(to encoder: Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(imageTag, forKey: .imageTag)
    try c.encode(registryTag, forKey: .registryTag)
    try c.encode(registry, forKey: .registry)
    try c.encode(buildId, forKey: .buildId)
    try c.encode(built, forKey: .built)
  }
}
