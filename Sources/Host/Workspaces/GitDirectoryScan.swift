import Foundation
import PluginKit

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// What a directory holds that belongs in a version: the result of one walk, taken before anything is
/// written so that a size-limit failure leaves the store untouched.
struct ScannedEntry {
  enum Kind {
    case file(size: Int64, executable: Bool)
    case symlink(target: String)
    case directory([ScannedEntry])
  }
  let name: String
  let kind: Kind
}

/// Walks a directory with readdir/lstat (FileManager costs an object per file), in byte order of the
/// names so that the walk, and the first error it reports, are the same every time.
struct DirectoryScanner {
  let root: String
  let ignore: IgnoreRules
  let excluding: Set<String>
  let maxFileBytes: Int64?
  /// The root with its symlinks resolved: where links must point to count as inside.
  private let realRoot: String

  init(root: String, ignore: IgnoreRules, excluding: Set<String>, maxFileBytes: Int64?) throws(GoldfishError) {
    var root = root
    while root.count > 1 && root.hasSuffix("/") { root.removeLast() }
    var info = stat()
    guard stat(root, &info) == 0 else { throw GitFailure.io("read the directory", path: root) }
    guard (info.st_mode & S_IFMT) == S_IFDIR else {
      throw GoldfishError(
        .invalidArgument, "'\(root)' is not a directory.", detail: ["path": .string(root)])
    }
    guard let resolved = realpath(root, nil) else { throw GitFailure.io("resolve", path: root) }
    defer { free(resolved) }
    self.root = root
    self.realRoot = String(cString: resolved)
    self.ignore = ignore
    self.excluding = excluding
    self.maxFileBytes = maxFileBytes
  }

  func scan() throws(GoldfishError) -> [ScannedEntry] {
    try scan(relative: "")
  }

  private func scan(relative: String) throws(GoldfishError) -> [ScannedEntry] {
    let absolute = relative.isEmpty ? root : root + "/" + relative
    guard let dir = opendir(absolute) else {
      if !relative.isEmpty && errno == ENOENT { return [] }  // removed since its parent was listed
      throw GitFailure.io("read the directory", path: absolute)
    }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
      let name = withUnsafePointer(to: entry.pointee.d_name) {
        $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(validatingCString: $0) }
      }
      guard let name else {
        throw GoldfishError(
          .invalidArgument, "A file name in '\(absolute)' is not valid UTF-8; rename it to save the workspace.",
          detail: ["path": .string(absolute)])
      }
      // ".git" can never be stored in a tree (and would make a plain copy look like a repository).
      if name == "." || name == ".." || name == ".git" { continue }
      names.append(name)
    }
    names.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }

    var entries: [ScannedEntry] = []
    entries.reserveCapacity(names.count)
    var info = stat()
    for name in names {
      let rel = relative.isEmpty ? name : relative + "/" + name
      if excluding.contains(rel) { continue }
      let path = absolute + "/" + name
      guard lstat(path, &info) == 0 else {
        if errno == ENOENT { continue }  // deleted while we walked: it is simply not there
        throw GitFailure.io("read", path: path)
      }
      let type = info.st_mode & S_IFMT
      let isDirectory = type == S_IFDIR
      if ignore.matches(Array(rel.utf8)[...], isDirectory: isDirectory) { continue }
      switch type {
      case S_IFREG:
        let size = Int64(info.st_size)
        if let limit = maxFileBytes, size > limit {
          throw GitFailure.fileTooLarge(rel, size: size, limit: limit)
        }
        entries.append(ScannedEntry(name: name, kind: .file(size: size, executable: info.st_mode & 0o100 != 0)))
      case S_IFDIR:
        entries.append(ScannedEntry(name: name, kind: .directory(try scan(relative: rel))))
      case S_IFLNK:
        if let target = linkTargetInside(path: path, relativeDirectory: relative) {
          entries.append(ScannedEntry(name: name, kind: .symlink(target: target)))
        }
      default:
        continue  // sockets, fifos, devices: not workspace content
      }
    }
    return entries
  }

  /// The link's text when it resolves inside the root (links are stored as links, never followed);
  /// nil when it points outside, so a version never captures or exposes files beyond the workspace.
  private func linkTargetInside(path: String, relativeDirectory: String) -> String? {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let length = readlink(path, &buffer, buffer.count - 1)
    guard length > 0 else { return nil }
    let target = String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    if let resolved = realpath(path, nil) {
      defer { free(resolved) }
      return Self.isInside(String(cString: resolved), realRoot) ? target : nil
    }
    // Dangling: judge the text itself, from where the link sits.
    let base = relativeDirectory.isEmpty ? realRoot : realRoot + "/" + relativeDirectory
    let joined = target.hasPrefix("/") ? target : base + "/" + target
    return Self.isInside(Self.normalize(joined), realRoot) ? target : nil
  }

  static func isInside(_ path: String, _ root: String) -> Bool {
    path == root || path.hasPrefix(root == "/" ? "/" : root + "/")
  }

  /// Lexical normalisation of an absolute path ("." and ".." resolved, no filesystem access).
  static func normalize(_ path: String) -> String {
    var parts: [Substring] = []
    for part in path.split(separator: "/", omittingEmptySubsequences: true) {
      if part == "." { continue }
      if part == ".." {
        if !parts.isEmpty { parts.removeLast() }
        continue
      }
      parts.append(part)
    }
    return "/" + parts.joined(separator: "/")
  }
}
