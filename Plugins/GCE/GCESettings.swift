import Foundation
import GCSClient
import PluginKit

/// The `gce` section of goldfish.yaml as the backend reads it, checked once at open.
/// Profiles come resolved in each run's spec (the host merges built-ins, overrides and
/// `gce.zones`); this section says where the API is, whose project, and where the mailbox is.
struct GCESettings: Sendable {
  private struct Raw: Decodable {
    var project_id: String?
    var project: String?
    /// The Compute API root, e.g. http://127.0.0.1:PORT/compute/v1 for gcplocal.
    var api_endpoint: String?
    var zones: [String]?
    /// Mailbox bucket and folder: `gs://<gcs_bucket>/<mailbox_prefix>`.
    var gcs_bucket: String?
    var mailbox_prefix: String?
    /// The Cloud Storage endpoint for the mailbox (else STORAGE_EMULATOR_HOST, else Google's).
    var storage_endpoint: String?
    var auth: String?
    var credentials_file: String?
    var service_account: String?
    /// Where VMs fetch goldfish-agent from (an object URI); default `<mailbox>/agent/goldfish-agent`.
    var agent_uri: String?
    /// The goldfish-agent binary to upload (default: the one next to goldfish).
    var agent: String?
    /// The Docker engine the agent on a VM runs jobs through (default its unix socket);
    /// the test harness's VMs use a loopback TCP address.
    var agent_docker_host: String?
    /// Where stage images are pushed for VMs to pull: `<region>-docker.pkg.dev/<project>/<repo>`.
    var artifact_registry: String?
    var preemptible_preference: String?
    var capacity_wait_seconds: Int?
    var search_timeout_sec: Int?
    var initial_backoff_sec: Double?
    var backoff_multiplier: Double?
    var max_attempts: Int?
    /// Seconds between polls of a zone operation.
    var operation_poll_seconds: Double?
    var operation_timeout_seconds: Double?
    /// How long a finished run's mailbox folder (log, records, staged code) is kept.
    var mailbox_retention_seconds: Int?
  }

  static let computeEndpoint = "https://compute.googleapis.com/compute/v1"

  /// Every key of `Raw`: the settings this backend reads.
  static let keys = [
    "project_id", "project", "api_endpoint", "zones", "gcs_bucket", "mailbox_prefix", "storage_endpoint", "auth",
    "credentials_file", "service_account", "agent_uri", "agent", "agent_docker_host", "artifact_registry",
    "preemptible_preference", "capacity_wait_seconds",
    "search_timeout_sec", "initial_backoff_sec", "backoff_multiplier", "max_attempts", "operation_poll_seconds",
    "operation_timeout_seconds", "mailbox_retention_seconds",
  ]
  /// Keys of the gce section that the host reads itself (compute profiles and the warm pool).
  static let hostKeys = ["profile_overrides", "profiles", "warm_pool"]
  /// Upstream keys accepted without effect here.
  static let ignoredKeys = [
    "image_uri": "images are built by the jobs.image_builder service",
    "region": "zones (or the profiles' own zones) say where VMs go",
    "gpu_preference": "a stage's profile names its GPU",
  ]
  static let preemptiblePreferences = ["on_demand_first", "spot_first"]

  let project: String
  let endpoint: String
  let endpointIsExplicit: Bool
  let zones: [String]?
  let bucket: String?
  let mailboxPrefix: String
  let storageConfig: JSONValue
  /// `gce.storage_endpoint` as written: agents are pointed at the same storage.
  let storageEndpoint: String?
  let auth: String
  let credentialsFile: String?
  let serviceAccount: String?
  let agentURI: String?
  let agentPath: String?
  let agentDockerHost: String?
  let artifactRegistry: String?
  let spotFirst: Bool
  let capacityWaitSeconds: Double
  let initialBackoff: Double
  let backoffMultiplier: Double
  let maxAttempts: Int
  let operationPoll: Double
  let operationTimeout: Double
  let mailboxRetentionSeconds: Int
  /// A week: long enough to read a finished run's mailbox by hand, short enough not to pile up.
  static let defaultMailboxRetentionSeconds = 7 * 24 * 3600

  /// `storage` is the project's object storage from the host's context: with `gcs` selected
  /// and `gce.gcs_bucket` unset, the mailbox lives in `gcs.bucket` (reached the way the gcs
  /// storage reaches it), so one bucket is written once.
  init(
    config: JSONValue, storage: ServiceContext.SelectedService? = nil,
    environment: [String: String] = ProcessInfo.processInfo.environment
  ) throws(PluginError) {
    var raw = try GCEBackend.decodeConfig(Raw.self, from: config)
    if raw.gcs_bucket?.isEmpty ?? true, let storage, storage.name == "gcs",
      let bucket = storage.config["bucket"]?.stringValue, !bucket.isEmpty
    {
      raw.gcs_bucket = bucket
      raw.storage_endpoint = raw.storage_endpoint ?? storage.config["endpoint"]?.stringValue
      raw.auth = raw.auth ?? storage.config["auth"]?.stringValue
      raw.credentials_file = raw.credentials_file ?? storage.config["credentials_file"]?.stringValue
    }
    guard let project = (raw.project_id ?? raw.project).flatMap({ $0.isEmpty ? nil : $0 }) else {
      throw PluginError(
        .invalidArgument, "the gce backend needs a project: set gce.project_id in goldfish.yaml",
        detail: ["key": "project_id"])
    }
    guard project.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == ":" || $0 == "." }) else {
      throw Self.invalid("project_id", "\"\(project)\" is not a Google Cloud project id")
    }
    self.project = project
    let env = { (name: String) in environment[name].flatMap { $0.isEmpty ? nil : $0 } }
    if let configured = raw.api_endpoint ?? env("GOLDFISH_GCE_ENDPOINT") {
      var endpoint = configured.contains("://") ? configured : "http://" + configured
      while endpoint.hasSuffix("/") { endpoint.removeLast() }
      self.endpoint = endpoint
      endpointIsExplicit = true
    } else {
      endpoint = Self.computeEndpoint
      endpointIsExplicit = false
    }
    zones = raw.zones.flatMap { $0.isEmpty ? nil : $0 }
    var bucket = raw.gcs_bucket ?? ""
    if bucket.hasPrefix("gs://") { bucket.removeFirst(5) }
    while bucket.hasSuffix("/") { bucket.removeLast() }
    // "None"/"null" are what a templated config leaves behind: never a bucket (#33).
    self.bucket = bucket.isEmpty || ["none", "null"].contains(bucket.lowercased()) ? nil : bucket
    var prefix = raw.mailbox_prefix ?? "goldfish"
    while prefix.hasPrefix("/") { prefix.removeFirst() }
    while prefix.hasSuffix("/") { prefix.removeLast() }
    mailboxPrefix = prefix
    auth = raw.auth ?? "auto"
    credentialsFile = raw.credentials_file.flatMap { $0.isEmpty ? nil : $0 }
    var storage: [String: JSONValue] = [
      "bucket": .string(self.bucket ?? "unset"), "prefix": .string(prefix), "auth": .string(auth),
      "retry_base_ms": 100, "retry_total_seconds": 60,
    ]
    storageEndpoint = raw.storage_endpoint.flatMap { $0.isEmpty ? nil : $0 }
    if let storageEndpoint { storage["endpoint"] = .string(storageEndpoint) }
    if let credentialsFile { storage["credentials_file"] = .string(credentialsFile) }
    storageConfig = .object(storage)
    serviceAccount = raw.service_account
    agentURI = raw.agent_uri
    agentPath = raw.agent.flatMap { $0.isEmpty ? nil : $0 }
    agentDockerHost = raw.agent_docker_host.flatMap { $0.isEmpty ? nil : $0 }
    artifactRegistry = raw.artifact_registry.flatMap { $0.isEmpty ? nil : $0 }
    let preference = raw.preemptible_preference ?? "on_demand_first"
    guard Self.preemptiblePreferences.contains(preference) else {
      throw Self.invalid(
        "preemptible_preference", "is \"\(preference)\"; allowed values: on_demand_first, spot_first")
    }
    spotFirst = preference == "spot_first"
    // search_timeout_sec is upstream's name for the same wait.
    capacityWaitSeconds = Double(
      try Self.atLeast(0, raw.capacity_wait_seconds ?? raw.search_timeout_sec ?? 600, "capacity_wait_seconds"))
    initialBackoff = try Self.above(0, raw.initial_backoff_sec ?? 10, "initial_backoff_sec")
    backoffMultiplier = try Self.atLeast(1, raw.backoff_multiplier ?? 1.5, "backoff_multiplier")
    maxAttempts = try Self.atLeast(1, raw.max_attempts ?? 150, "max_attempts")
    operationPoll = try Self.above(0, raw.operation_poll_seconds ?? 2, "operation_poll_seconds")
    operationTimeout = try Self.above(0, raw.operation_timeout_seconds ?? 600, "operation_timeout_seconds")
    mailboxRetentionSeconds = try Self.atLeast(
      0, raw.mailbox_retention_seconds ?? Self.defaultMailboxRetentionSeconds, "mailbox_retention_seconds")
  }

  /// Every setting with the value in effect, under the key it is written as: what
  /// `goldfish config show` prints and what this backend runs with.
  var effective: JSONValue {
    func optional(_ text: String?) -> JSONValue { text.map { .string($0) } ?? .null }
    return [
      "project_id": .string(project), "api_endpoint": .string(endpoint),
      "zones": zones.map { .array($0.map { .string($0) }) } ?? .null, "gcs_bucket": optional(bucket),
      "mailbox_prefix": .string(mailboxPrefix), "storage_endpoint": optional(storageEndpoint), "auth": .string(auth),
      "credentials_file": optional(credentialsFile), "service_account": optional(serviceAccount),
      "agent_uri": optional(agentURI), "agent": optional(agentPath),
      "agent_docker_host": optional(agentDockerHost), "artifact_registry": optional(artifactRegistry),
      "preemptible_preference": .string(spotFirst ? "spot_first" : "on_demand_first"),
      "capacity_wait_seconds": .int(Int64(capacityWaitSeconds)), "initial_backoff_sec": .double(initialBackoff),
      "backoff_multiplier": .double(backoffMultiplier), "max_attempts": .int(Int64(maxAttempts)),
      "operation_poll_seconds": .double(operationPoll), "operation_timeout_seconds": .double(operationTimeout),
      "mailbox_retention_seconds": .int(Int64(mailboxRetentionSeconds)),
    ]
  }

  /// `check_config`: the same reading as open(), reported instead of thrown.
  static func report(_ config: JSONValue, storage: ServiceContext.SelectedService?) -> ConfigReport {
    let unknown = ConfigReport.unknownKeys(in: config, allowed: keys, ignored: hostKeys + ignoredKeys.keys.sorted())
    var notes = ignoredKeys.keys.sorted().filter { config[$0] != nil }.map {
      ConfigReport.Problem(key: $0, message: "ignored: \(ignoredKeys[$0] ?? "")")
    }
    if config["search_timeout_sec"] != nil {
      notes.append(
        ConfigReport.Problem(
          key: "search_timeout_sec",
          message: config["capacity_wait_seconds"] == nil
            ? "read as capacity_wait_seconds, its name here" : "ignored: capacity_wait_seconds is set"))
    }
    if config["project"] != nil && config["project_id"] == nil {
      notes.append(ConfigReport.Problem(key: "project", message: "read as project_id, its name here"))
    }
    do {
      let settings = try GCESettings(config: config, storage: storage)
      return ConfigReport(effective: settings.effective, problems: unknown, notes: notes)
    } catch {
      return ConfigReport(refused: error, problems: unknown, notes: notes)
    }
  }

  private static func invalid(_ key: String, _ problem: String) -> PluginError {
    PluginError(.invalidArgument, "gce.\(key) \(problem)", detail: ["key": .string(key)])
  }

  private static func atLeast<T: Comparable & Sendable>(
    _ minimum: T, _ value: T, _ key: String
  ) throws(PluginError) -> T {
    guard value >= minimum else { throw invalid(key, "is \(value); it must be at least \(minimum)") }
    return value
  }

  private static func above(_ minimum: Double, _ value: Double, _ key: String) throws(PluginError) -> Double {
    guard value > minimum else { throw invalid(key, "is \(value); it must be more than \(minimum)") }
    return value
  }
}
