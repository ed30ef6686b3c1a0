import CGit2
import Foundation
import PluginKit

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

extension GitRepository {
  /// Makes `directory` hold exactly the files of `commit` (creating it and its parents if needed).
  /// Top-level names in `preserving` (the mount marker, STATE.md) are left exactly as they are in
  /// the directory: never written from the commit, never removed.
  ///
  /// All or nothing, by staging and swapping rather than writing in place: the whole tree is written
  /// into a fresh hidden sibling directory first, where any failure (a missing object, a full disk, an
  /// unsafe name) is cleaned up without the target ever being touched; the preserved entries are then
  /// linked across, and the two directories are exchanged with one atomic
  /// `renameat2(RENAME_EXCHANGE)`, so a reader sees either the old contents or the new, never a mix.
  /// Writing temp files inside the target and renaming them one by one would keep the directory's
  /// inode but leaves a mix if the process dies halfway through the renames; the price of the swap is
  /// that a shell whose current directory is the slot must `cd` again, and the parent must be writable.
  /// Where the exchange is unavailable (not Linux, or a filesystem without it) two renames are used,
  /// with the first undone if the second fails.
  ///
  /// `linkRoots` are the folders versions were saved from (the project's slots): a link stored as an
  /// absolute path into one of them, as versions saved before such links were refused may hold, is
  /// written relative to its own folder, so that the version stays restorable anywhere.
  public func materialize(
    _ commit: CommitID, into directory: String, preserving: Set<String>, linkRoots: [String] = []
  ) throws(GoldfishError) {
    try locked { () throws(GoldfishError) in
      guard let tree = try lookupTree(commit, in: handle) else { return }
      defer { git_tree_free(tree) }

      var target = directory
      while target.count > 1 && target.hasSuffix("/") { target.removeLast() }
      let url = URL(fileURLWithPath: target)
      let parent = url.deletingLastPathComponent().path
      let name = url.lastPathComponent
      do {
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
      } catch {
        throw GitFailure.io("create the folder", path: parent)
      }
      var info = stat()
      let exists = lstat(target, &info) == 0
      if exists && (info.st_mode & S_IFMT) != S_IFDIR {
        throw GoldfishError(
          .invalidArgument, "'\(target)' exists and is not a folder; nothing was written.",
          detail: ["path": .string(target)])
      }

      let token = UUID().uuidString.prefix(8)
      let staging = parent + "/." + name + ".goldfish-staging-" + token
      guard mkdir(staging, 0o755) == 0 else { throw GitFailure.io("create the folder", path: staging) }
      var swapped = false
      defer { if !swapped { Self.removeTree(staging) } }

      try TreeMaterializer(repo: handle, linkRoots: linkRoots).write(tree, into: staging, skipping: preserving)

      guard exists else {
        guard rename(staging, target) == 0 else { throw GitFailure.io("create the folder", path: target) }
        swapped = true
        return
      }
      _ = chmod(staging, info.st_mode & 0o7777)  // the slot keeps its own permissions

      // Preserved entries join the new copy as hard links, so until the swap the target still holds
      // them too (a crash in between loses nothing); a preserved folder can only be moved. Any failure
      // moves back what was moved before giving up.
      var moved: [String] = []
      func restore() { for entry in moved.reversed() { _ = rename(staging + "/" + entry, target + "/" + entry) } }
      var probe = stat()
      for entry in preserving.sorted() where Self.isPlainName(entry) && lstat(target + "/" + entry, &probe) == 0 {
        let from = target + "/" + entry
        let to = staging + "/" + entry
        if (probe.st_mode & S_IFMT) != S_IFDIR && link(from, to) == 0 { continue }
        guard rename(from, to) == 0 else {
          let failure = GitFailure.io("keep", path: from)
          restore()
          throw failure
        }
        moved.append(entry)
      }

      if goldfish_rename_exchange(staging, target) == 0 {
        swapped = true
        Self.removeTree(staging)  // now the previous contents
        return
      }
      let previous = parent + "/." + name + ".goldfish-previous-" + token
      guard rename(target, previous) == 0 else {
        let failure = GitFailure.io("replace the contents of", path: target)
        restore()
        throw failure
      }
      guard rename(staging, target) == 0 else {
        let failure = GitFailure.io("replace the contents of", path: target)
        _ = rename(previous, target)
        restore()
        throw failure
      }
      swapped = true
      Self.removeTree(previous)
    }
  }

  static func isPlainName(_ name: String) -> Bool {
    !name.isEmpty && name != "." && name != ".." && !name.contains("/") && !name.contains("\0")
  }

  /// Best effort: a leftover hidden folder is untidy, not wrong.
  static func removeTree(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
  }
}

/// Writes a tree's files into an empty directory, refusing any stored name or link that would land
/// outside it. Folders are walked from an explicit stack, never by recursion, whatever their depth.
struct TreeMaterializer {
  let repo: OpaquePointer
  var linkRoots: [String] = []

  /// One folder being written; frees the tree it looked up however the walk ends.
  private final class Folder {
    let tree: OpaquePointer
    let owned: Bool
    let directory: String
    let relative: String
    var next = 0

    init(tree: OpaquePointer, owned: Bool, directory: String, relative: String) {
      self.tree = tree
      self.owned = owned
      self.directory = directory
      self.relative = relative
    }

    deinit { if owned { git_tree_free(tree) } }
  }

  func write(_ tree: OpaquePointer, into directory: String, skipping: Set<String>) throws(GoldfishError) {
    var stack = [Folder(tree: tree, owned: false, directory: directory, relative: "")]
    while let folder = stack.last {
      guard folder.next < git_tree_entrycount(folder.tree) else {
        stack.removeLast()
        continue
      }
      let index = folder.next
      folder.next += 1
      guard let entry = git_tree_entry_byindex(folder.tree, index) else { continue }
      let name = String(cString: git_tree_entry_name(entry))
      let relative = folder.relative
      let rel = relative.isEmpty ? name : relative + "/" + name
      guard GitRepository.isPlainName(name) else {
        throw GitFailure.unsafePath(rel, "would be written outside the workspace folder")
      }
      if relative.isEmpty && skipping.contains(name) { continue }
      let path = folder.directory + "/" + name
      guard let id = git_tree_entry_id(entry) else { continue }
      switch git_tree_entry_filemode(entry) {
      case GIT_FILEMODE_TREE:
        guard stack.count <= DirectoryScanner.maxDepth else {
          throw WorkspaceLinks.tooDeep(rel, limit: DirectoryScanner.maxDepth)
        }
        guard mkdir(path, 0o755) == 0 else { throw GitFailure.io("create the folder", path: rel) }
        var subtree: OpaquePointer?
        try Git.check(git_tree_lookup(&subtree, repo, id), "reading the folder '\(WorkspaceLinks.shown(rel))'")
        guard let subtree else { continue }
        stack.append(Folder(tree: subtree, owned: true, directory: path, relative: rel))
      case GIT_FILEMODE_BLOB:
        try writeFile(id, to: path, relative: rel, mode: 0o644)
        SlotFaultPoint.hit(.midwayFiles)
      case GIT_FILEMODE_BLOB_EXECUTABLE:
        try writeFile(id, to: path, relative: rel, mode: 0o755)
      case GIT_FILEMODE_LINK:
        let stored = try withBlob(id, relative: rel) { String(decoding: $0, as: UTF8.self) }
        let target = restorable(stored, directory: relative)
        guard Self.staysInside(directory: relative, target: target) else {
          throw GitFailure.unsafePath(rel, "is a link pointing outside the workspace folder")
        }
        guard symlink(target, path) == 0 else { throw GitFailure.io("create the link", path: rel) }
      default:
        continue  // nested repositories (gitlinks) have no content here
      }
    }
  }

  /// A stored absolute link into one of `linkRoots`, as the relative link that reaches the same file
  /// from the link's folder `directory`; any other target unchanged.
  func restorable(_ target: String, directory: String) -> String {
    guard target.hasPrefix("/") else { return target }
    let normalized = DirectoryScanner.normalize(target)
    for root in linkRoots {
      let root = DirectoryScanner.normalize(root)
      guard root != "/", DirectoryScanner.isInside(normalized, root) else { continue }
      let inside = normalized == root ? "" : String(normalized.dropFirst(root.count + 1))
      return WorkspaceLinks.relativeTarget(from: directory, to: inside)
    }
    return target
  }

  private func writeFile(
    _ id: UnsafePointer<git_oid>, to path: String, relative: String, mode: mode_t
  )
    throws(GoldfishError)
  {
    try withBlob(id, relative: relative) { bytes throws(GoldfishError) in
      // O_EXCL|O_NOFOLLOW: the staging folder is new, so anything already there is a duplicate name.
      let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
      guard fd >= 0 else { throw GitFailure.io("write", path: relative) }
      var offset = 0
      while offset < bytes.count {
        let written = Glibc.write(fd, bytes.baseAddress.map { $0 + offset }, bytes.count - offset)
        if written < 0 {
          if errno == EINTR { continue }
          let failure = GitFailure.io("write", path: relative)
          close(fd)
          throw failure
        }
        offset += written
      }
      guard close(fd) == 0 else { throw GitFailure.io("write", path: relative) }
    }
  }

  private func withBlob<T>(
    _ id: UnsafePointer<git_oid>, relative: String, _ body: (UnsafeRawBufferPointer) throws(GoldfishError) -> T
  ) throws(GoldfishError) -> T {
    var blob: OpaquePointer?
    try Git.check(git_blob_lookup(&blob, repo, id), "reading '\(relative)'")
    defer { git_blob_free(blob) }
    return try body(UnsafeRawBufferPointer(start: git_blob_rawcontent(blob), count: Int(git_blob_rawsize(blob))))
  }

  /// Whether a relative link target, read from the link's folder `directory`, stays inside the root.
  static func staysInside(directory: String, target: String) -> Bool {
    guard !target.isEmpty, !target.hasPrefix("/") else { return false }
    var depth = directory.split(separator: "/").count
    for part in target.split(separator: "/", omittingEmptySubsequences: true) {
      if part == "." { continue }
      if part == ".." {
        depth -= 1
        if depth < 0 { return false }
      } else {
        depth += 1
      }
    }
    return true
  }
}
