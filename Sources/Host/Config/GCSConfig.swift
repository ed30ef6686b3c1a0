import PluginKit

/// `gcs:`: the Cloud Storage bucket and the prefixes each kind of object lives under.
public struct GCSConfig: Sendable, Equatable {
  /// The bucket name, without "gs://" (either spelling is accepted, as upstream).
  public var bucket: String
  public var sourcesPrefix = "sources/"
  public var artifactsPrefix = "artifacts/"
  public var snapshotsPrefix = "snapshots/"
  public var datasetsPrefix = "datasets/"
  public var runsPrefix = "runs/"

  public init(bucket: String) { self.bucket = bucket }

  static let keys = [
    "bucket", "sources_prefix", "artifacts_prefix", "snapshots_prefix", "datasets_prefix", "runs_prefix",
    // Read by the gcs storage plugin itself (Plugins/GCS/GCSConfig.swift), which gets this section whole.
    "prefix", "endpoint", "chunk_size_mb", "auth", "retry_base_ms", "retry_max_attempts", "retry_total_seconds",
    "stall_seconds",
  ]

  /// nil when the section is absent (and no migrated bucket stands in for it) or has no usable bucket.
  /// `migratedBucket` is upstream's `gce.gcs_bucket`, used when `gcs.bucket` is not set.
  static func read(
    _ section: ConfigSection?, at path: String, migratedBucket: (value: String, key: String)?,
    problems: ConfigProblems
  ) -> GCSConfig? {
    let written = section?.optionalString("bucket")
    guard let (raw, key) = written.map({ ($0, "\(path).bucket") }) ?? migratedBucket else {
      if section != nil {
        problems.add(
          ConfigError.invalid(
            problems.document, path, "has no bucket", hint: "add `bucket: my-bucket` under gcs:, or remove the section")
        )
      }
      return nil
    }
    let name = bucketName(raw)
    if let failure = bucketProblem(name) {
      problems.add(
        ConfigError.invalid(
          problems.document, key, "\"\(raw)\" is not a bucket name: \(failure)",
          hint: "3-63 lowercase letters, digits, \"-\", \"_\" or \".\", starting and ending with a letter or digit"))
    }
    var config = GCSConfig(bucket: name)
    guard let section else { return config }
    config.sourcesPrefix = prefix(section, "sources_prefix", config.sourcesPrefix)
    config.artifactsPrefix = prefix(section, "artifacts_prefix", config.artifactsPrefix)
    config.snapshotsPrefix = prefix(section, "snapshots_prefix", config.snapshotsPrefix)
    config.datasetsPrefix = prefix(section, "datasets_prefix", config.datasetsPrefix)
    config.runsPrefix = prefix(section, "runs_prefix", config.runsPrefix)
    return config
  }

  static func bucketName(_ raw: String) -> String {
    var name = raw.hasPrefix("gs://") ? String(raw.dropFirst(5)) : raw
    while name.hasSuffix("/") { name.removeLast() }
    return name
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

  private static func prefix(_ section: ConfigSection, _ name: String, _ fallback: String) -> String {
    guard let text = section.optionalString(name) else { return fallback }
    if text.hasPrefix("/") || text.split(separator: "/").contains("..") {
      section.problems.add(
        ConfigError.invalid(
          section.document, section.key(name), "\"\(text)\" must be a relative prefix without \"..\"",
          hint: "for example \"\(fallback)\""))
      return fallback
    }
    return text
  }

  var json: JSONValue {
    [
      "bucket": .string(bucket), "sources_prefix": .string(sourcesPrefix), "artifacts_prefix": .string(artifactsPrefix),
      "snapshots_prefix": .string(snapshotsPrefix), "datasets_prefix": .string(datasetsPrefix),
      "runs_prefix": .string(runsPrefix),
    ]
  }
}
