import Foundation
import PluginKit

/// The `slurm` section of goldfish.yaml as the backend reads it: the one place its keys and
/// defaults are written, used by open() and by check_config alike.
struct SlurmSettings: Sendable {
  /// What one compute profile becomes on the cluster (`slurm.profiles.<name>`).
  struct ProfileMapping: Decodable, Sendable, Equatable {
    var partition: String?
    var account: String?
    var qos: String?
    var cpus: Int?
    var memory_mb: Int?
    /// GPUs per job as Slurm writes them (`2`, `a100:2`); default from the profile's gpu.
    var gpus: String?
    /// A raw `--gres` list (`gpu:a100:2,nvme:1`); wins over `gpus`.
    var gres: String?
    var time_limit_minutes: Int?
    var constraint: String?

    static let keys = [
      "partition", "account", "qos", "cpus", "memory_mb", "gpus", "gres", "time_limit_minutes", "constraint",
    ]

    var json: JSONValue {
      func text(_ value: String?) -> JSONValue { value.map { .string($0) } ?? .null }
      func number(_ value: Int?) -> JSONValue { value.map { .int(Int64($0)) } ?? .null }
      return [
        "partition": text(partition), "account": text(account), "qos": text(qos), "cpus": number(cpus),
        "memory_mb": number(memory_mb), "gpus": text(gpus), "gres": text(gres),
        "time_limit_minutes": number(time_limit_minutes), "constraint": text(constraint),
      ]
    }
  }

  /// How a job reaches the stage image, when the run has one (docs/slurm.md: not tested here).
  struct Container: Decodable, Sendable, Equatable {
    /// none | apptainer | singularity | enroot
    var runtime: String?
    /// The runtime's program, when not on the compute nodes' PATH under its own name.
    var program: String?
    /// Arguments placed before the image (`--nv` for GPUs under Apptainer).
    var arguments: [String]?
  }

  private struct Raw: Decodable {
    var url: String?
    var user: String?
    var token: String?
    var token_file: String?
    var token_env: String?
    var token_command: [String]?
    var token_ttl_seconds: Int?
    var api_version: String?
    var partition: String?
    var account: String?
    var qos: String?
    var time_limit_minutes: Int?
    var profiles: [String: ProfileMapping]?
    var data: String?
    var shared_paths: [String]?
    var environment: [String: String]?
    var container: Container?
    var request_timeout_seconds: Int?
    var agent: String?
    var agent_on_nodes: String?
    var scratch: String?
  }

  static let keys = [
    "url", "user", "token", "token_file", "token_env", "token_command", "token_ttl_seconds", "api_version",
    "partition", "account", "qos", "time_limit_minutes", "profiles", "data", "shared_paths", "environment",
    "container", "request_timeout_seconds", "agent", "agent_on_nodes", "scratch",
  ]
  /// The host's own key in a backend's section.
  static let hostKeys = ["warm_pool"]
  static let runtimes = ["none", "apptainer", "singularity", "enroot"]
  static let dataModes = ["shared", "object-storage"]

  /// Where a job finds its inputs and leaves its outputs.
  enum DataMode: String, Sendable {
    /// The cluster sees the run folders and the file storage at the host's paths.
    case shared
    /// Everything travels through the project's object storage, moved by goldfish-agent.
    case objectStorage = "object-storage"
  }

  enum Endpoint: Sendable, Equatable {
    case tcp(String)
    case unixSocket(String)
  }

  let endpoint: Endpoint
  let user: String?
  let token: TokenSource
  let apiVersion: String?
  let partition: String?
  let account: String?
  let qos: String?
  let timeLimitMinutes: Int?
  let profiles: [String: ProfileMapping]
  let sharedPaths: [String]
  let environment: [String: String]
  let container: Container
  let requestTimeout: Int
  let data: DataMode
  /// goldfish-agent on the host, and as the nodes see it (object-storage mode).
  let agent: String?
  let agentOnNodes: String?
  /// The node-local folder runs stage into (object-storage mode).
  let scratch: String

  init(
    config: JSONValue, environment processEnvironment: [String: String] = ProcessInfo.processInfo.environment
  )
    throws(PluginError)
  {
    let raw = try SlurmBackend.decodeConfig(Raw.self, from: config)
    guard let url = raw.url.flatMap({ $0.isEmpty ? nil : $0 }) else {
      throw Self.invalid(
        "url", "is missing: set slurm.url to slurmrestd's address, http://HOST:PORT or unix:///path/to/socket")
    }
    if url.hasPrefix("unix://") {
      let path = String(url.dropFirst("unix://".count))
      guard path.hasPrefix("/") else { throw Self.invalid("url", "\(url) must name an absolute socket path") }
      endpoint = .unixSocket(path)
    } else if url.hasPrefix("http://") || url.hasPrefix("https://") {
      var base = url
      while base.hasSuffix("/") { base.removeLast() }
      endpoint = .tcp(base)
    } else {
      throw Self.invalid("url", "\"\(url)\" is neither http://HOST:PORT, https://… nor unix:///path")
    }
    user = raw.user.flatMap { $0.isEmpty ? nil : $0 }
    let sources = [raw.token != nil, raw.token_file != nil, raw.token_command != nil].filter { $0 }.count
    guard sources <= 1 else {
      throw Self.invalid("token", "give one of token, token_file and token_command, not several")
    }
    let ttl = raw.token_ttl_seconds ?? 600
    guard ttl > 0 else { throw Self.invalid("token_ttl_seconds", "is \(ttl); it must be positive") }
    if let token = raw.token {
      self.token = .literal(token)
    } else if let file = raw.token_file {
      guard file.hasPrefix("/") else { throw Self.invalid("token_file", "\(file) must be an absolute path") }
      token = .file(file)
    } else if let command = raw.token_command {
      guard !command.isEmpty, !command[0].isEmpty else {
        throw Self.invalid("token_command", "is empty; give an argv such as [scontrol, token, lifespan=3600]")
      }
      token = .command(command, ttlSeconds: ttl)
    } else {
      let name = raw.token_env ?? "SLURM_JWT"
      token = .environment(name)
    }
    if case .tcp = endpoint, user == nil, token.isConfigured(processEnvironment) {
      throw Self.invalid("user", "is missing: JWT auth sends X-SLURM-USER-NAME with the token; set slurm.user")
    }
    if let version = raw.api_version {
      guard SlurmDialect.supported.contains(version) else {
        throw Self.invalid(
          "api_version",
          "\(version) is not spoken by this plugin; it speaks \(SlurmDialect.supported.joined(separator: ", "))")
      }
    }
    apiVersion = raw.api_version
    partition = raw.partition
    account = raw.account
    qos = raw.qos
    if let minutes = raw.time_limit_minutes, minutes <= 0 {
      throw Self.invalid("time_limit_minutes", "is \(minutes); it must be positive")
    }
    timeLimitMinutes = raw.time_limit_minutes
    profiles = raw.profiles ?? [:]
    for (name, mapping) in profiles {
      for (key, value) in [
        ("cpus", mapping.cpus), ("memory_mb", mapping.memory_mb), ("time_limit_minutes", mapping.time_limit_minutes),
      ]
      where (value ?? 1) <= 0 {
        throw Self.invalid("profiles.\(name).\(key)", "is \(value ?? 0); it must be positive")
      }
    }
    let data = raw.data ?? "shared"
    guard let mode = DataMode(rawValue: data) else {
      throw Self.invalid(
        "data",
        "is \"\(data)\"; use \"shared\" (the cluster sees the run folders and the file storage at the same paths) "
          + "or \"object-storage\" (goldfish-agent stages inputs and outputs through the project's storage)")
    }
    self.data = mode
    for (key, value) in [("agent", raw.agent), ("agent_on_nodes", raw.agent_on_nodes), ("scratch", raw.scratch)] {
      if let value, !value.hasPrefix("/") { throw Self.invalid(key, "\(value) must be an absolute path") }
    }
    agent = raw.agent
    agentOnNodes = raw.agent_on_nodes
    scratch = raw.scratch ?? "/tmp"
    sharedPaths = try (raw.shared_paths ?? []).map { (path: String) throws(PluginError) -> String in
      guard path.hasPrefix("/") else { throw Self.invalid("shared_paths", "\(path) must be an absolute path") }
      var trimmed = path
      while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
      return trimmed
    }
    environment = raw.environment ?? [:]
    for key in environment.keys where !SlurmBackend.isEnvironmentKey(key) {
      throw Self.invalid("environment", "key \(key.debugDescription) is not [A-Za-z_][A-Za-z0-9_]*")
    }
    container = raw.container ?? Container()
    if let runtime = container.runtime, !Self.runtimes.contains(runtime) {
      throw Self.invalid("container.runtime", "is \"\(runtime)\"; allowed: \(Self.runtimes.joined(separator: ", "))")
    }
    requestTimeout = raw.request_timeout_seconds ?? 30
    guard requestTimeout > 0 else {
      throw Self.invalid("request_timeout_seconds", "is \(requestTimeout); it must be positive")
    }
  }

  /// Every setting with the value in effect; the token itself never appears, only where it comes from.
  var effective: JSONValue {
    func text(_ value: String?) -> JSONValue { value.map { .string($0) } ?? .null }
    let url: String
    switch endpoint {
    case .tcp(let base): url = base
    case .unixSocket(let path): url = "unix://" + path
    }
    return [
      "url": .string(url), "user": text(user), "token": .string(token.description), "api_version": text(apiVersion),
      "partition": text(partition), "account": text(account), "qos": text(qos),
      "time_limit_minutes": timeLimitMinutes.map { .int(Int64($0)) } ?? .null,
      "profiles": .object(profiles.mapValues(\.json)), "data": .string(data.rawValue),
      "agent": text(agent), "agent_on_nodes": text(agentOnNodes), "scratch": .string(scratch),
      "shared_paths": .array(sharedPaths.map { .string($0) }),
      "environment": .object(environment.mapValues { .string($0) }),
      "container": [
        "runtime": .string(container.runtime ?? "none"), "program": text(container.program),
        "arguments": .array((container.arguments ?? []).map { .string($0) }),
      ],
      "request_timeout_seconds": .int(Int64(requestTimeout)),
    ]
  }

  static func report(_ config: JSONValue, context: ServiceContext) -> ConfigReport {
    let unknown = ConfigReport.unknownKeys(in: config, allowed: keys, ignored: hostKeys)
    var problems = unknown
    for (name, mapping) in config["profiles"]?.objectValue ?? [:] {
      problems += ConfigReport.unknownKeys(in: mapping, allowed: ProfileMapping.keys).map {
        ConfigReport.Problem(key: "profiles.\(name).\($0.key ?? "")", message: $0.message, hint: $0.hint)
      }
    }
    var notes: [ConfigReport.Problem] = []
    if config["token"] != nil {
      notes.append(
        ConfigReport.Problem(
          key: "token", message: "a token written in goldfish.yaml is readable by anyone who reads the file",
          hint: "prefer token_file, token_command or the SLURM_JWT environment variable"))
    }
    do {
      let settings = try SlurmSettings(config: config)
      if settings.data == .objectStorage {
        let staging = try ObjectStaging(settings: settings, context: context)
        notes.append(
          ConfigReport.Problem(
            key: "data", message: "runs travel through \(staging.mailbox); jobs run \(staging.agentOnNodes)",
            hint: "the compute nodes must reach that storage and see goldfish-agent at that path"))
      }
      return ConfigReport(effective: settings.effective, problems: problems, notes: notes)
    } catch {
      return ConfigReport(refused: error, problems: problems, notes: notes)
    }
  }

  static func invalid(_ key: String, _ problem: String) -> PluginError {
    PluginError(.invalidArgument, "slurm.\(key) \(problem)", detail: ["key": .string(key)])
  }
}
