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
    case file(size: Int64, executable: Bool, stamp: FileStamp)
    case symlink(target: String)
    case directory([ScannedEntry])
  }
  let name: String
  let kind: Kind
}

/// Walks a directory with readdir/lstat (FileManager costs an object per file), in byte order of the
/// names so that the walk, and the first error it reports, are the same every time.
///
/// The walk keeps its own stack of open folders instead of recursing, so a hostile tree thousands of
/// folders deep cannot overflow the thread's stack; trees deeper than `maxDepth` are refused with an
/// error that says so. Links are never followed: a link is stored as a link when it stays inside the
/// root, left out when it points outside, and refused (with the fix) when it is an absolute path into
/// the root, which would point outside any other folder the workspace is mounted in.
struct DirectoryScanner {
  /// The deepest folder a version may hold, counted from the root (git itself stops at 4,096).
  static let maxDepth = 1_000

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
    // The root itself may be reached through a link (a project under a linked folder): callers that
    // must refuse a linked root (a slot) check it themselves.
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

  /// Folders at most this deep keep their descriptor open while their entries are looked at, so
  /// each entry is an `fstatat` against the folder instead of a walk of its whole path; deeper
  /// ones (rare) fall back to paths, so a deep tree never runs out of descriptors.
  static let descriptorDepth = 64

  /// One folder being walked: its sorted names, how far the walk got, and what it found so far.
  private struct Frame {
    let name: String
    let relative: String
    let absolute: String
    let names: [String]
    /// The open folder (entries are looked at relative to it), or -1 past `descriptorDepth`.
    let fd: Int32
    var next = 0
    var entries: [ScannedEntry] = []
  }

  func scan() throws(GoldfishError) -> [ScannedEntry] {
    guard let (rootFD, rootNames) = try list(realRoot, parent: -1, name: realRoot, relative: "", keep: true) else {
      return []
    }
    var stack = [Frame(name: "", relative: "", absolute: realRoot, names: rootNames, fd: rootFD)]
    defer { for frame in stack where frame.fd >= 0 { close(frame.fd) } }
    var info = stat()
    // An excluded path of n slashes can only be met n folders deep.
    let excludedDepth = excluding.map { $0.utf8.filter { $0 == UInt8(ascii: "/") }.count }.max() ?? -1
    // The relative path's bytes for the ignore rules, in one buffer reused for every entry.
    var relBytes: [UInt8] = []
    relBytes.reserveCapacity(4096)
    while true {
      let depth = stack.count - 1
      guard stack[depth].next < stack[depth].names.count else {
        let done = stack.removeLast()
        if done.fd >= 0 { close(done.fd) }
        guard !stack.isEmpty else { return done.entries }
        stack[stack.count - 1].entries.append(ScannedEntry(name: done.name, kind: .directory(done.entries)))
        continue
      }
      let name = stack[depth].names[stack[depth].next]
      stack[depth].next += 1
      let relative = stack[depth].relative
      let rel = relative.isEmpty ? name : relative + "/" + name
      if depth <= excludedDepth && excluding.contains(rel) { continue }
      let folderFD = stack[depth].fd
      let found =
        folderFD >= 0
        ? fstatat(folderFD, name, &info, AT_SYMLINK_NOFOLLOW) : lstat(stack[depth].absolute + "/" + name, &info)
      guard found == 0 else {
        if errno == ENOENT { continue }  // deleted while we walked: it is simply not there
        throw GitFailure.io("read", path: WorkspaceLinks.shown(stack[depth].absolute + "/" + name))
      }
      let type = info.st_mode & S_IFMT
      relBytes.removeAll(keepingCapacity: true)
      relBytes.append(contentsOf: rel.utf8)
      if ignore.matches(relBytes[...], isDirectory: type == S_IFDIR) { continue }
      switch type {
      case S_IFREG:
        let size = Int64(info.st_size)
        if let limit = maxFileBytes, size > limit {
          throw GitFailure.fileTooLarge(rel, size: size, limit: limit)
        }
        stack[depth].entries.append(
          ScannedEntry(
            name: name, kind: .file(size: size, executable: info.st_mode & 0o100 != 0, stamp: FileStamp(info))))
      case S_IFDIR:
        guard depth + 1 <= Self.maxDepth else { throw WorkspaceLinks.tooDeep(rel, limit: Self.maxDepth) }
        let path = stack[depth].absolute + "/" + name
        // Removed since its parent was listed: simply not there.
        guard
          let (fd, children) = try list(
            path, parent: folderFD, name: name, relative: rel, keep: depth + 1 <= Self.descriptorDepth)
        else { continue }
        stack.append(Frame(name: name, relative: rel, absolute: path, names: children, fd: fd))
      case S_IFLNK:
        let path = stack[depth].absolute + "/" + name
        if let target = try linkTargetInside(path: path, relative: rel, relativeDirectory: relative) {
          stack[depth].entries.append(ScannedEntry(name: name, kind: .symlink(target: target)))
        }
      default:
        continue  // sockets, fifos, devices: not workspace content
      }
    }
  }

  /// The names in one folder, sorted by bytes, and the folder's descriptor when `keep` (else -1);
  /// nil when it vanished since its parent was listed. The folder is opened relative to its
  /// parent's descriptor when there is one (`name`), else by its whole path.
  private func list(
    _ absolute: String, parent: Int32, name: String, relative: String, keep: Bool
  ) throws(GoldfishError) -> (Int32, [String])? {
    // O_NOFOLLOW: a folder swapped for a link after it was looked at is not entered.
    let flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC
    let fd = parent >= 0 ? openat(parent, name, flags) : open(absolute, flags)
    guard fd >= 0 else {
      let code = errno
      if !relative.isEmpty && code == ENOENT { return nil }
      throw GitFailure.io("read the directory", path: WorkspaceLinks.shown(absolute), errno: code)
    }
    // fdopendir owns the descriptor it is given: the walk keeps a duplicate of its own.
    let kept = keep ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1
    guard let dir = fdopendir(fd) else {
      let code = errno
      close(fd)
      if kept >= 0 { close(kept) }
      throw GitFailure.io("read the directory", path: WorkspaceLinks.shown(absolute), errno: code)
    }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
      let name = withUnsafePointer(to: entry.pointee.d_name) {
        $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(validatingCString: $0) }
      }
      guard let name else {
        if kept >= 0 { close(kept) }
        throw GoldfishError(
          .invalidArgument, "A file name in '\(absolute)' is not valid UTF-8; rename it to save the workspace.",
          detail: ["path": .string(absolute)])
      }
      // ".git" can never be stored in a tree (and would make a plain copy look like a repository).
      if name == "." || name == ".." || name == ".git" { continue }
      names.append(name)
    }
    names.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    return (kept, names)
  }

  /// The link's text when it resolves inside the root (links are stored as links, never followed);
  /// nil when it points outside, so a version never captures or exposes files beyond the workspace.
  /// An absolute path into the root is refused: stored as written, it would point into this folder
  /// from any other slot or run the version is restored in.
  private func linkTargetInside(
    path: String, relative: String, relativeDirectory: String
  ) throws(GoldfishError) -> String? {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let length = readlink(path, &buffer, buffer.count - 1)
    guard length > 0 else { return nil }
    let target = String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    let destination: String
    if let resolved = realpath(path, nil) {
      destination = String(cString: resolved)
      free(resolved)
    } else {
      // Dangling: judge the text itself, from where the link sits.
      let base = relativeDirectory.isEmpty ? realRoot : realRoot + "/" + relativeDirectory
      var text = Self.normalize(target.hasPrefix("/") ? target : base + "/" + target)
      // An absolute text written against the root as given (not resolved) points inside too.
      let given = Self.normalize(root)
      if given != "/", !Self.isInside(text, realRoot), Self.isInside(text, given) {
        text = realRoot + text.dropFirst(given.count)
      }
      destination = text
    }
    guard Self.isInside(destination, realRoot) else { return nil }
    // Restored elsewhere, an absolute link would point back here, and a relative one that climbs
    // out of the root and back in would leave it: both are refused, with the link to write instead.
    if target.hasPrefix("/") || !TreeMaterializer.staysInside(directory: relativeDirectory, target: target) {
      let inside = destination == realRoot ? "" : String(destination.dropFirst(realRoot.count + 1))
      throw WorkspaceLinks.notPortable(
        relative, target: target, suggestion: WorkspaceLinks.relativeTarget(from: relativeDirectory, to: inside),
        folder: relativeDirectory.isEmpty ? root : root + "/" + relativeDirectory)
    }
    return target
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
