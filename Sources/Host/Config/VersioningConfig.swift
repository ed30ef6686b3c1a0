import PluginKit

/// `versioning:` (ours, not upstream): what a workspace version may hold.
public struct VersioningConfig: Sendable, Equatable {
  /// The largest single file synced from a slot into a version; bigger files belong in a source.
  public var maxFileMB = 100
  /// Extra gitignore-style patterns, on top of the workspace's .gitignore and the built-in ones.
  public var ignore: [String] = []

  public init() {}

  public var maxFileBytes: Int64 { Int64(maxFileMB) << 20 }

  static let keys = ["max_file_mb", "ignore"]

  init(reading section: ConfigSection?) {
    guard let section else { return }
    maxFileMB = section.int("max_file_mb", default: maxFileMB, .range(1...10240))
    ignore = section.strings("ignore")
  }

  var json: JSONValue { ["max_file_mb": .number(maxFileMB), "ignore": .list(ignore)] }
}
