import Foundation
import PluginKit

/// The `gcs` section of goldfish.yaml, resolved: defaults applied and checked once at open.
public struct GCSSettings: Sendable {
  private struct Raw: Decodable {
    var bucket: String?
    var prefix: String?
    var endpoint: String?
    /// Megabytes, fractional allowed (0.25 = 256 KiB) so tests can force resumable uploads.
    var chunk_size_mb: Double?
    /// "auto" (default), "none", "env", "service_account" or "metadata": which credential sources to try.
    var auth: String?
    /// A service-account JSON key; else $GOOGLE_APPLICATION_CREDENTIALS.
    var credentials_file: String?
    /// Backoff tuning; tests shorten it so a 503 storm does not take minutes.
    var retry_base_ms: Int?
    var retry_max_attempts: Int?
    var retry_total_seconds: Double?
    /// Seconds without a byte moving before a transfer counts as dropped (and is resumed).
    var stall_seconds: Int?
    // Upstream goldfish's per-kind prefixes: replace a key's first segment (runs/, ...).
    var sources_prefix: String?
    var artifacts_prefix: String?
    var snapshots_prefix: String?
    var datasets_prefix: String?
    var runs_prefix: String?
  }

  /// Every key of `Raw`: the whole gcs section is this storage's.
  public static let keys = [
    "bucket", "prefix", "endpoint", "chunk_size_mb", "auth", "credentials_file", "retry_base_ms", "retry_max_attempts",
    "retry_total_seconds", "stall_seconds", "sources_prefix", "artifacts_prefix", "snapshots_prefix",
    "datasets_prefix", "runs_prefix",
  ]
  static let kinds = ["sources", "artifacts", "snapshots", "datasets", "runs"]

  public static let chunkQuantum = 256 * 1024
  /// As Google's own client library: every chunk is a request (and, on the emulator, a copy of
  /// all received so far), so 8 MiB chunks made a 256 MiB upload 4x slower. Chunks stream from
  /// the file, so their size costs no memory.
  public static let defaultChunkMB: Double = 100

  public let bucket: String
  /// Empty, or ends in "/": object names are prefix + key.
  public let prefix: String
  /// Scheme, host and port without a trailing slash.
  public let endpoint: String
  /// True when the endpoint came from config or STORAGE_EMULATOR_HOST (emulators take no auth).
  public let endpointIsExplicit: Bool
  public let chunkSize: Int
  public let auth: String
  /// gcs.credentials_file as configured (nil: $GOOGLE_APPLICATION_CREDENTIALS, if set).
  public let credentialsFile: String?
  public let retry: RetryPolicy
  public let stallSeconds: Int
  /// First key segment (`runs`) to the folder written instead (`goldfish-runs/`), as set.
  public let kindPrefixes: [String: String]

  public init(
    config: JSONValue, environment: [String: String] = ProcessInfo.processInfo.environment
  ) throws(PluginError) {
    let raw: Raw
    do {
      raw = try JSONCoding.convert(config, to: Raw.self)
    } catch {
      throw PluginError(
        .invalidArgument, "the gcs section of goldfish.yaml is invalid: \(error.message)", detail: error.detail)
    }
    // "gs://name/" is accepted, as the host's own config reader does.
    var bucket = raw.bucket ?? ""
    if bucket.hasPrefix("gs://") { bucket.removeFirst(5) }
    while bucket.hasSuffix("/") { bucket.removeLast() }
    guard !bucket.isEmpty else {
      throw PluginError(
        .invalidArgument, "gcs storage needs a bucket: set gcs.bucket in goldfish.yaml, e.g. bucket: my-artifacts",
        detail: ["key": "bucket"])
    }
    guard !bucket.contains("/") else {
      throw PluginError(
        .invalidArgument, "gcs.bucket \"\(bucket)\" is a bucket name, not a path: put the path in gcs.prefix",
        detail: ["key": "bucket"])
    }
    if let failure = Self.bucketProblem(bucket) {
      throw PluginError(
        .invalidArgument,
        "gcs.bucket \"\(bucket)\" is not a bucket name: \(failure) (3-63 lowercase letters, digits, \"-\", \"_\" or "
          + "\".\", starting and ending with a letter or digit)", detail: ["key": "bucket"])
    }
    self.bucket = bucket
    var prefix = raw.prefix ?? ""
    while prefix.hasPrefix("/") { prefix.removeFirst() }
    if !prefix.isEmpty && !prefix.hasSuffix("/") { prefix += "/" }
    self.prefix = prefix
    if let configured = raw.endpoint ?? environment["STORAGE_EMULATOR_HOST"].flatMap({ $0.isEmpty ? nil : $0 }) {
      var endpoint = configured.contains("://") ? configured : "http://" + configured
      while endpoint.hasSuffix("/") { endpoint.removeLast() }
      self.endpoint = endpoint
      endpointIsExplicit = true
    } else {
      endpoint = "https://storage.googleapis.com"
      endpointIsExplicit = false
    }
    let chunkBytes = Int((raw.chunk_size_mb ?? Self.defaultChunkMB) * 1024 * 1024)
    guard chunkBytes > 0, chunkBytes % Self.chunkQuantum == 0 else {
      throw PluginError(
        .invalidArgument,
        "gcs.chunk_size_mb \(raw.chunk_size_mb ?? Self.defaultChunkMB) is not a positive multiple of 256 KiB (0.25 MB), "
          + "which resumable uploads require")
    }
    chunkSize = chunkBytes
    auth = raw.auth ?? "auto"
    guard ["auto", "none", "env", "service_account", "metadata"].contains(auth) else {
      throw PluginError(
        .invalidArgument, "gcs.auth \"\(auth)\" is not one of auto, none, env, service_account, metadata")
    }
    credentialsFile = raw.credentials_file.flatMap { $0.isEmpty ? nil : $0 }
    stallSeconds = max(1, raw.stall_seconds ?? 60)
    var kinds: [String: String] = [:]
    let written = [
      ("sources", raw.sources_prefix), ("artifacts", raw.artifacts_prefix), ("snapshots", raw.snapshots_prefix),
      ("datasets", raw.datasets_prefix), ("runs", raw.runs_prefix),
    ]
    for case (let kind, var folder?) in written {
      guard !folder.hasPrefix("/"), !folder.split(separator: "/").contains("..") else {
        throw PluginError(
          .invalidArgument,
          "gcs.\(kind)_prefix \"\(folder)\" must be a relative prefix without \"..\", e.g. \"\(kind)/\"",
          detail: ["key": .string("\(kind)_prefix")])
      }
      while folder.hasPrefix("/") { folder.removeFirst() }
      if !folder.isEmpty && !folder.hasSuffix("/") { folder += "/" }
      kinds[kind] = folder
    }
    kindPrefixes = kinds
    retry = RetryPolicy(
      baseDelay: Double(raw.retry_base_ms ?? 250) / 1000, maxAttempts: raw.retry_max_attempts ?? 8,
      totalSeconds: raw.retry_total_seconds ?? 300)
  }

  /// Every setting with the value in effect, under the key it is written as.
  public var effective: JSONValue {
    var fields: [String: JSONValue] = [
      "bucket": .string(bucket), "prefix": .string(prefix), "endpoint": .string(endpoint),
      "chunk_size_mb": .double(Double(chunkSize) / 1024 / 1024), "auth": .string(auth),
      "credentials_file": credentialsFile.map { .string($0) } ?? .null,
      "retry_base_ms": .int(Int64((retry.baseDelay * 1000).rounded())),
      "retry_max_attempts": .int(Int64(retry.maxAttempts)),
      "retry_total_seconds": .double(retry.totalSeconds), "stall_seconds": .int(Int64(stallSeconds)),
    ]
    for kind in Self.kinds { fields["\(kind)_prefix"] = kindPrefixes[kind].map { .string($0) } ?? .null }
    return .object(fields)
  }

  /// `check_config`: the same reading as open(), reported instead of thrown.
  public static func report(
    _ config: JSONValue, environment: [String: String] = ProcessInfo.processInfo.environment
  )
    -> ConfigReport
  {
    let unknown = ConfigReport.unknownKeys(in: config, allowed: keys)
    do {
      return ConfigReport(
        effective: try GCSSettings(config: config, environment: environment).effective, problems: unknown)
    } catch {
      return ConfigReport(refused: error, problems: unknown)
    }
  }

  static func bucketProblem(_ name: String) -> String? {
    let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-_.")
    let edges = Set("abcdefghijklmnopqrstuvwxyz0123456789")
    if name.count < 3 || name.count > 63 { return "it is \(name.count) characters long" }
    if let bad = name.first(where: { !allowed.contains($0) }) { return "it contains '\(bad)'" }
    if let first = name.first, let last = name.last, !edges.contains(first) || !edges.contains(last) {
      return "it must start and end with a letter or digit"
    }
    return nil
  }
}
