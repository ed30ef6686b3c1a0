import PluginKit

/// A path kept when the agent cleans its folders between jobs, written as
/// `<root>/<relative path>` where root is `inputs` or `outputs`. A pattern protects only
/// entries under its own root (upstream §5.7 #27): `outputs/cache` never keeps `inputs/cache`.
public struct PreservePath: Sendable, Equatable {
  public enum Root: String, Sendable, CaseIterable {
    case inputs, outputs
  }

  public var root: Root
  /// Relative segments below the root, never empty, no `.` or `..`.
  public var segments: [String]

  public init(_ pattern: String) throws(PluginError) {
    let parts = pattern.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    guard parts.count >= 2, let root = Root(rawValue: parts[0]),
      !parts.dropFirst().contains(where: { $0 == "." || $0 == ".." || $0.utf8.contains(0) })
    else {
      throw PluginError(
        .invalidArgument,
        "preserve path \(pattern.debugDescription) must be inputs/<path> or outputs/<path> without '.' or '..'",
        detail: ["path": .string(pattern)])
    }
    self.root = root
    segments = Array(parts.dropFirst())
  }

  public static func validate(_ pattern: String) throws(PluginError) {
    _ = try PreservePath(pattern)
  }

  /// True when `relative` (segments under `root`) is the preserved path or lies inside it.
  public func covers(_ relative: [String], under root: Root) -> Bool {
    root == self.root && relative.count >= segments.count && Array(relative.prefix(segments.count)) == segments
  }

  /// True when `relative` is a folder on the way to the preserved path: it is cleaned
  /// entry by entry instead of removed whole.
  public func leadsTo(_ relative: [String], under root: Root) -> Bool {
    root == self.root && relative.count < segments.count && Array(segments.prefix(relative.count)) == relative
  }
}
