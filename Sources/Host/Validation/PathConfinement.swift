import Foundation
import PluginKit

extension GoldfishError.Code {
  public static let pathOutsideRoot = Self("path_outside_root")
}

/// Keeps user-supplied relative paths inside a root directory.
///
/// The path is walked one component at a time against the real filesystem, following symbolic links
/// the way the kernel would, so a link anywhere in the path (or a link to a link) that lands outside
/// the root is caught, and so is a `..` that climbs above it. A link that leaves the root and comes
/// back is accepted only when its final target is inside; `..` written by the user may never climb
/// above the root, even if a later component would come back in.
public enum PathConfinement {
  /// The absolute, symlink-free path of `relative` under `root` (itself resolved through its
  /// symlinks, so on macOS "/tmp/x" comes back as "/private/tmp/x"). Components that do not exist
  /// yet are kept as written, so the result can be used to create a file.
  public static func resolve(_ relative: String, under root: String) throws(GoldfishError) -> String {
    func refuse(_ why: String, _ reason: String) -> GoldfishError {
      GoldfishError(
        .pathOutsideRoot, "the path \(NameRule.quoted(relative)) \(why)",
        hint: "give a path relative to \(root) that stays inside it",
        detail: ["path": .string(relative), "root": .string(root), "reason": .string(reason)])
    }
    guard !relative.isEmpty else { throw refuse("is empty", "empty") }
    guard !relative.unicodeScalars.contains("\0") else { throw refuse("contains a NUL byte", "nul") }
    guard !relative.hasPrefix("/") else { throw refuse("is absolute", "absolute") }

    let rootComponents = canonical(components(of: absolute(root)))
    var walker = Walker(current: rootComponents)
    var pending = components(of: relative).map(Step.user)
    while !pending.isEmpty {
      let step = pending.removeFirst()
      switch step {
      case .user(let name), .link(let name):
        switch walker.step(name) {
        case .moved:
          // Only the user's own ".." can climb; inside a link expansion the target is judged whole.
          if case .user = step, walker.depth == 0, !hasPrefix(walker.current, rootComponents) {
            throw refuse("climbs above the root with \"..\"", "dotdot")
          }
        case .link(let target, let parts):
          pending.insert(contentsOf: parts.map(Step.link) + [.endOfLink(target)], at: 0)
        case .tooManyLinks:
          throw refuse("goes through too many symbolic links (a loop?)", "symlink_loop")
        }
      case .endOfLink(let target):
        walker.depth -= 1
        if walker.depth == 0 && !hasPrefix(walker.current, rootComponents) {
          throw refuse("goes through a symbolic link to \(target), outside the root", "symlink")
        }
      }
    }
    return "/" + walker.current.joined(separator: "/")
  }

  /// Whether `path` (absolute, or relative to the working directory) lies at or under `root`, after
  /// resolving symbolic links in both. Paths that do not exist are judged by their existing prefix.
  public static func isInside(_ path: String, root: String) -> Bool {
    guard !path.unicodeScalars.contains("\0"), !root.unicodeScalars.contains("\0") else { return false }
    return hasPrefix(canonical(components(of: absolute(path))), canonical(components(of: absolute(root))))
  }

  // MARK: - Walking

  private enum Step {
    case user(String)
    case link(String)
    case endOfLink(String)
  }

  private enum StepResult {
    case moved
    case link(target: String, components: [String])
    case tooManyLinks
  }

  /// The current absolute position, as components, and how many link expansions are open.
  private struct Walker {
    var current: [String]
    var depth = 0
    var hops = 0

    /// Moves one component. A symbolic link is not entered: its target's components are handed back
    /// to be walked next, from the link's directory (or from "/" for an absolute target).
    mutating func step(_ name: String) -> StepResult {
      switch name {
      case "", ".": return .moved
      case "..":
        if !current.isEmpty { current.removeLast() }
        return .moved
      default:
        let candidate = "/" + (current + [name]).joined(separator: "/")
        guard let target = PathConfinement.linkTarget(candidate) else {
          current.append(name)
          return .moved
        }
        hops += 1
        // The kernel gives up after 40 links (ELOOP); so do we.
        if hops > 40 { return .tooManyLinks }
        depth += 1
        if target.hasPrefix("/") { current = [] }
        return .link(target: target, components: PathConfinement.components(of: target))
      }
    }
  }

  fileprivate static func linkTarget(_ path: String) -> String? {
    var info = stat()
    guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFLNK else { return nil }
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let count = readlink(path, &buffer, Int(PATH_MAX))
    guard count >= 0 else { return nil }
    return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  /// Follows every symbolic link in an absolute path (lexically past the first missing component).
  static func canonical(_ components: [String]) -> [String] {
    var walker = Walker(current: [])
    var pending = components
    while !pending.isEmpty {
      let name = pending.removeFirst()
      switch walker.step(name) {
      case .moved: continue
      case .link(_, let parts): pending.insert(contentsOf: parts, at: 0)
      case .tooManyLinks: return walker.current + pending
      }
    }
    return walker.current
  }

  fileprivate static func components(of path: String) -> [String] {
    path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
  }

  private static func absolute(_ path: String) -> String {
    path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
  }

  private static func hasPrefix(_ path: [String], _ root: [String]) -> Bool {
    path.count >= root.count && Array(path.prefix(root.count)) == root
  }
}
