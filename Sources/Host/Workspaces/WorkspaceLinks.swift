import Foundation
import PluginKit

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The refusals of a workspace walk, and the relative link a person should write instead of an
/// absolute one. Paths in messages are cut short: a hostile tree's paths can be kilobytes long.
enum WorkspaceLinks {
  static let shownPathLength = 160

  /// The path as a message shows it: at most `shownPathLength` characters, the rest elided.
  static func shown(_ path: String) -> String {
    path.count <= shownPathLength ? path : String(path.prefix(shownPathLength)) + "…"
  }

  static func rootIsLink(_ root: String) -> GoldfishError {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let length = readlink(root, &buffer, buffer.count - 1)
    let target =
      length > 0 ? String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self) : "?"
    // The copy command must work from any folder: the target as an absolute path.
    var source = target
    if let resolved = realpath(root, nil) {
      source = String(cString: resolved)
      free(resolved)
    }
    return GoldfishError(
      .unsafePath,
      "'\(shown(root))' is a symbolic link to '\(shown(target))', not a folder: Goldfish never follows a link out of a workspace, so nothing was saved.",
      hint:
        "Put the files back in a real folder (the files the link points to are not touched): rm '\(root)' && mkdir '\(root)' && cp -a '\(source)/.' '\(root)/'",
      detail: ["path": .string(shown(root)), "target": .string(shown(target))])
  }

  static func tooDeep(_ relative: String, limit: Int) -> GoldfishError {
    GoldfishError(
      .invalidArgument,
      "The folder '\(shown(relative))' is more than \(grouped(limit)) folders deep: a workspace version holds at most \(grouped(limit)) levels of folders, so nothing was saved.",
      hint: "Move the deep folder out of the workspace or add it to .gitignore, then save again.",
      detail: ["path": .string(shown(relative)), "max_depth": .int(Int64(limit))])
  }

  static func notPortable(_ relative: String, target: String, suggestion: String, folder: String) -> GoldfishError {
    let name = (relative as NSString).lastPathComponent
    return GoldfishError(
      .unsafePath,
      "The link '\(shown(relative))' points to '\(shown(target))': a version stores links relative to their own folder, so that they work wherever the workspace is mounted; nothing was saved.",
      hint: "Make it relative: cd '\(folder)' && ln -sfn \(suggestion) \(name)",
      detail: ["path": .string(shown(relative)), "target": .string(shown(target)), "relative": .string(suggestion)])
  }

  /// The relative text of a link in folder `directory` that reaches `destination` (both relative to
  /// the root, '/'-separated; "" is the root itself).
  static func relativeTarget(from directory: String, to destination: String) -> String {
    let from = directory.split(separator: "/")
    let to = destination.split(separator: "/")
    var common = 0
    while common < from.count && common < to.count && from[common] == to[common] { common += 1 }
    let parts = Array(repeating: "..", count: from.count - common) + to[common...].map(String.init)
    return parts.isEmpty ? "." : parts.joined(separator: "/")
  }

  static func grouped(_ value: Int) -> String { TextLimits.grouped(value) }
}
