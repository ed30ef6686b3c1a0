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
    var preemptible_preference: String?
    var capacity_wait_seconds: Int?
    var search_timeout_sec: Int?
    var initial_backoff_sec: Double?
    var backoff_multiplier: Double?
    var max_attempts: Int?
    /// Seconds between polls of a zone operation.
    var operation_poll_seconds: Double?
    var operation_timeout_seconds: Double?
  }

  static let computeEndpoint = "https://compute.googleapis.com/compute/v1"

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
  let spotFirst: Bool
  let capacityWaitSeconds: Double
  let initialBackoff: Double
  let backoffMultiplier: Double
  let maxAttempts: Int
  let operationPoll: Double
  let operationTimeout: Double

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
      throw PluginError(.invalidArgument, "the gce backend needs a project: set gce.project_id in goldfish.yaml")
    }
    guard project.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == ":" || $0 == "." }) else {
      throw PluginError(.invalidArgument, "gce.project_id \"\(project)\" is not a Google Cloud project id")
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
    spotFirst = raw.preemptible_preference == "spot_first"
    capacityWaitSeconds = Double(raw.capacity_wait_seconds ?? raw.search_timeout_sec ?? 600)
    initialBackoff = raw.initial_backoff_sec ?? 10
    backoffMultiplier = max(1, raw.backoff_multiplier ?? 1.5)
    maxAttempts = max(1, raw.max_attempts ?? 150)
    operationPoll = raw.operation_poll_seconds ?? 2
    operationTimeout = raw.operation_timeout_seconds ?? 600
  }
}
