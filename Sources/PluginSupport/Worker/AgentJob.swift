import PluginKit

/// One job for a warm worker: `workers/<id>/jobs/<run_id>.json` in the mailbox.
public struct AgentJob: Codable, Sendable, Equatable {
  private enum CodingKeys: String, CodingKey {
    case runId = "run_id"
    case command
    case env
    case image
    case code
    case workDir = "work_dir"
    case inputs
    case outputsDir = "outputs_dir"
    case timeoutSeconds = "timeout_seconds"
    case preservePaths = "preserve_paths"
    case gpus
  }

  public var runId: String
  /// argv, never a shell string.
  public var command: [String]
  /// Keys `[A-Za-z_][A-Za-z0-9_]*`; any other key fails this run before it starts.
  public var env: [String: String]
  /// The container image (container runner only).
  public var image: String?
  /// The job's code folder (local path or `file://` URI); the job's working directory.
  public var code: String?
  /// A per-run folder the job may write to (TMPDIR); absent means the agent's own scratch.
  public var workDir: String?
  public var inputs: [AgentInput]
  /// Written in place when given; otherwise outputs go to `runs/<run_id>/outputs/`.
  public var outputsDir: String?
  /// Absent means no limit; 0 or less is refused, never read as "off" (upstream §5.7 #8).
  public var timeoutSeconds: Int?
  /// Extra paths kept between jobs, on top of the agent's own.
  public var preservePaths: [String]
  /// GPUs the job's profile asks for; a container runner requests them from the engine.
  public var gpus: Int?

  public init(
    runId: String, command: [String], env: [String: String] = [:], image: String? = nil,
    code: String? = nil, workDir: String? = nil, inputs: [AgentInput] = [], outputsDir: String? = nil,
    timeoutSeconds: Int? = nil, preservePaths: [String] = [], gpus: Int? = nil
  ) {
    self.gpus = gpus
    self.runId = runId
    self.command = command
    self.env = env
    self.image = image
    self.code = code
    self.workDir = workDir
    self.inputs = inputs
    self.outputsDir = outputsDir
    self.timeoutSeconds = timeoutSeconds
    self.preservePaths = preservePaths
  }

  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    runId = try c.decode(String.self, forKey: .runId)
    command = try c.decode([String].self, forKey: .command)
    env = try c.decodeIfPresent([String: String].self, forKey: .env) ?? [:]
    image = try c.decodeIfPresent(String.self, forKey: .image)
    code = try c.decodeIfPresent(String.self, forKey: .code)
    workDir = try c.decodeIfPresent(String.self, forKey: .workDir)
    inputs = try c.decodeIfPresent([AgentInput].self, forKey: .inputs) ?? []
    outputsDir = try c.decodeIfPresent(String.self, forKey: .outputsDir)
    timeoutSeconds = try c.decodeIfPresent(Int.self, forKey: .timeoutSeconds)
    preservePaths = try c.decodeIfPresent([String].self, forKey: .preservePaths) ?? []
    gpus = try c.decodeIfPresent(Int.self, forKey: .gpus)
  }

  /// The job a run spec asks for; the same mapping for every backend.
  public init(spec: RunSpec) {
    self.init(
      runId: spec.runId, command: spec.command, env: spec.env, image: spec.image, code: spec.codeDir,
      workDir: spec.workDir,
      inputs: spec.inputs.compactMap { input in
        (input.localPath ?? input.uri).map { AgentInput(name: input.name, source: $0) }
      },
      outputsDir: spec.outputsDir, timeoutSeconds: spec.timeoutSeconds,
      preservePaths: spec.worker?.preservePaths ?? [])
  }

  /// Everything that must hold before the job starts; a failure here fails this run only.
  public func validate() throws(PluginError) {
    try WorkerIdentifier.validate(runId, "run id")
    guard let program = command.first, !program.isEmpty else {
      throw PluginError(.invalidArgument, "run \(runId): the command is empty")
    }
    if command.contains(where: { $0.utf8.contains(0) }) {
      throw PluginError(.invalidArgument, "run \(runId): the command contains a NUL byte")
    }
    for key in env.keys.sorted() where !Spawn.isValidEnvironmentKey(key) {
      throw PluginError(
        .invalidArgument,
        "run \(runId): environment key \(key.debugDescription) is not [A-Za-z_][A-Za-z0-9_]*; "
          + "the run was not started",
        detail: ["key": .string(key)])
    }
    if env.values.contains(where: { $0.utf8.contains(0) }) {
      throw PluginError(.invalidArgument, "run \(runId): an environment value contains a NUL byte")
    }
    if let timeoutSeconds, timeoutSeconds <= 0 {
      throw PluginError(
        .invalidArgument,
        "run \(runId): timeout_seconds must be positive, got \(timeoutSeconds); leave it out for no limit")
    }
    var names: Set<String> = []
    for input in inputs {
      try WorkerIdentifier.validate(input.name, "input name")
      guard names.insert(input.name).inserted else {
        throw PluginError(.invalidArgument, "run \(runId): input \(input.name) is given twice")
      }
    }
    for path in [code, workDir, outputsDir].compactMap({ $0 }) where !path.hasPrefix("/") && !path.hasPrefix("file://")
    {
      throw PluginError(.invalidArgument, "run \(runId): \(path) is not an absolute path")
    }
    for pattern in preservePaths { try PreservePath.validate(pattern) }
  }
}

/// One input to stage: copied (or linked) to `<inputs>/<name>` before the job starts.
public struct AgentInput: Codable, Sendable, Equatable {
  private enum CodingKeys: String, CodingKey {
    case name
    case source
    case link
  }

  public var name: String
  /// A local absolute path or a URI (`file://`; other schemes need a store for them).
  public var source: String
  /// Symlink a local source instead of copying it (the source must stay put for the run).
  public var link: Bool

  public init(name: String, source: String, link: Bool = false) {
    self.name = name
    self.source = source
    self.link = link
  }

  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    name = try c.decode(String.self, forKey: .name)
    source = try c.decode(String.self, forKey: .source)
    link = try c.decodeIfPresent(Bool.self, forKey: .link) ?? false
  }
}
