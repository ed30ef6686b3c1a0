import PluginKit

/// How a `goldfish-agent` is started (`goldfish-agent --config FILE`).
public struct AgentConfig: Codable, Sendable, Equatable {
  /// How a job runs: a plain process here; a container runner can be added behind the same seam.
  public enum Runner: String, Codable, Sendable {
    case process
    /// Each job in its image, through the machine's Docker Engine API (`docker_host`).
    case container
  }

  public static let defaultDockerHost = "unix:///var/run/docker.sock"

  private enum CodingKeys: String, CodingKey {
    case workerId = "worker_id"
    case mailbox
    case idleTimeoutSeconds = "idle_timeout_seconds"
    case lifetimeSeconds = "lifetime_seconds"
    case preservePaths = "preserve_paths"
    case workRoot = "work_root"
    case runner
    case maxJobs = "max_jobs"
    case pollIntervalMs = "poll_interval_ms"
    case killGraceSeconds = "kill_grace_seconds"
    case labels
    case mailboxOptions = "mailbox_options"
    case dockerHost = "docker_host"
  }

  public var workerId: String
  /// The mailbox root URI: `file:///abs/path` (or `gs://bucket/prefix` where a GCS store exists).
  public var mailbox: String
  /// Idle this long and the agent exits; absent means it waits forever. 0 is refused.
  public var idleTimeoutSeconds: Int?
  /// The agent exits after this long, but never mid-job. 0 is refused.
  public var lifetimeSeconds: Int?
  /// `inputs/<path>` or `outputs/<path>` kept between jobs.
  public var preservePaths: [String]
  /// The agent's scratch: `inputs/`, `outputs/` and `tmp/` live here and are reused by every job.
  public var workRoot: String
  public var runner: Runner
  /// Exit after this many jobs (absent: no limit).
  public var maxJobs: Int?
  /// How often the mailbox is polled for a job or a cancel.
  public var pollIntervalMs: Int
  /// Between SIGTERM and SIGKILL when a job is stopped.
  public var killGraceSeconds: Int
  /// Copied into status.json readers' view through list_workers (the backend's labels).
  public var labels: [String: String]
  /// Settings of the mailbox's store beyond its URI, such as a gs:// mailbox's `endpoint`,
  /// `auth` or `credentials_file` (the keys of goldfish.yaml's gcs section).
  public var mailboxOptions: [String: JSONValue]
  /// The Docker engine of the container runner: `unix:///path` (files bind-mounted) or
  /// `tcp://127.0.0.1:PORT` (files copied through the archive API).
  public var dockerHost: String

  public init(
    workerId: String, mailbox: String, workRoot: String, idleTimeoutSeconds: Int? = nil,
    lifetimeSeconds: Int? = nil, preservePaths: [String] = [], runner: Runner = .process,
    maxJobs: Int? = nil, pollIntervalMs: Int = 100, killGraceSeconds: Int = 10, labels: [String: String] = [:],
    mailboxOptions: [String: JSONValue] = [:], dockerHost: String = AgentConfig.defaultDockerHost
  ) {
    self.dockerHost = dockerHost
    self.workerId = workerId
    self.mailbox = mailbox
    self.workRoot = workRoot
    self.idleTimeoutSeconds = idleTimeoutSeconds
    self.lifetimeSeconds = lifetimeSeconds
    self.preservePaths = preservePaths
    self.runner = runner
    self.maxJobs = maxJobs
    self.pollIntervalMs = pollIntervalMs
    self.killGraceSeconds = killGraceSeconds
    self.labels = labels
    self.mailboxOptions = mailboxOptions
  }

  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    workerId = try c.decode(String.self, forKey: .workerId)
    mailbox = try c.decode(String.self, forKey: .mailbox)
    workRoot = try c.decode(String.self, forKey: .workRoot)
    idleTimeoutSeconds = try c.decodeIfPresent(Int.self, forKey: .idleTimeoutSeconds)
    lifetimeSeconds = try c.decodeIfPresent(Int.self, forKey: .lifetimeSeconds)
    preservePaths = try c.decodeIfPresent([String].self, forKey: .preservePaths) ?? []
    runner = try c.decodeIfPresent(Runner.self, forKey: .runner) ?? .process
    maxJobs = try c.decodeIfPresent(Int.self, forKey: .maxJobs)
    pollIntervalMs = try c.decodeIfPresent(Int.self, forKey: .pollIntervalMs) ?? 100
    killGraceSeconds = try c.decodeIfPresent(Int.self, forKey: .killGraceSeconds) ?? 10
    labels = try c.decodeIfPresent([String: String].self, forKey: .labels) ?? [:]
    mailboxOptions = try c.decodeIfPresent([String: JSONValue].self, forKey: .mailboxOptions) ?? [:]
    dockerHost = try c.decodeIfPresent(String.self, forKey: .dockerHost) ?? Self.defaultDockerHost
  }

  /// 0 and "absent" are never confused (upstream §5.7 #8): every present bound must be positive.
  public func validate() throws(PluginError) {
    try WorkerIdentifier.validate(workerId, "worker id")
    guard workRoot.hasPrefix("/") else {
      throw PluginError(.invalidArgument, "work_root must be an absolute path, got \(workRoot)")
    }
    for (name, value) in [
      ("idle_timeout_seconds", idleTimeoutSeconds), ("lifetime_seconds", lifetimeSeconds), ("max_jobs", maxJobs),
    ] {
      if let value, value <= 0 {
        throw PluginError(
          .invalidArgument, "\(name) must be positive, got \(value); leave it out for no limit")
      }
    }
    guard (10...60_000).contains(pollIntervalMs) else {
      throw PluginError(.invalidArgument, "poll_interval_ms must be between 10 and 60000, got \(pollIntervalMs)")
    }
    guard (0...3600).contains(killGraceSeconds) else {
      throw PluginError(.invalidArgument, "kill_grace_seconds must be between 0 and 3600, got \(killGraceSeconds)")
    }
    for pattern in preservePaths { try PreservePath.validate(pattern) }
    guard dockerHost.hasPrefix("unix:///") || dockerHost.hasPrefix("tcp://") else {
      throw PluginError(
        .invalidArgument, "docker_host must be unix:///path/to/docker.sock or tcp://HOST:PORT, got \(dockerHost)")
    }
  }
}

extension AgentConfig {
  /// A local mailbox is a folder on this machine: listing it is a few syscalls, so local workers
  /// look every 20 ms (a warm dispatch then waits ~10 ms for pick-up, not ~50); a cloud mailbox
  /// keeps the default, each look being a request.
  public static let localPollIntervalMs = 20
}
