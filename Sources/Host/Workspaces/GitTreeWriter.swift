import CGit2
import Foundation
import PluginKit

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Turns a directory scan into tree objects in `repo`.
///
/// `.store` writes every new blob (streamed from disk through one reused buffer, never loaded whole);
/// `.hashOnly` only computes ids, for comparisons that must not write (strict object creation is off,
/// so trees may name blobs that were never stored: such trees live only in a throw-away in-memory store).
/// A file whose counterpart in `base` (the previous version) has the same content is not written
/// again: its id is recomputed by hashing, which is far cheaper than compressing it.
final class TreeWriter {
  enum Mode { case store, hashOnly }

  static let bufferSize = 1 << 20
  /// Above this size, a length check against the stored blob (one small read) can prove a change
  /// before hashing the whole file.
  static let sizeCheckThreshold: Int64 = 1 << 20

  private let repo: OpaquePointer
  private let odb: OpaquePointer
  private let mode: Mode
  private let buffer: UnsafeMutableRawBufferPointer

  init(repo: OpaquePointer, mode: Mode) throws(GoldfishError) {
    var odb: OpaquePointer?
    try Git.check(git_repository_odb(&odb, repo), "opening the object store")
    guard let odb else { throw Git.failure(-1, "opening the object store") }
    self.repo = repo
    self.odb = odb
    self.mode = mode
    self.buffer = .allocate(byteCount: Self.bufferSize, alignment: 16)
  }

  deinit {
    git_odb_free(odb)
    buffer.deallocate()
  }

  /// The id of the root tree (the empty tree for an empty directory).
  ///
  /// Folders are written from an explicit stack, deepest first, rather than by recursion, so the
  /// depth of a tree never reaches the thread's stack.
  func writeRoot(_ entries: [ScannedEntry], directory: String, base: OpaquePointer?) throws(GoldfishError) -> git_oid {
    var stack = [try Folder(repo: repo, entries: entries, absolute: directory, relative: "", name: "", base: base)]
    while let folder = stack.last {
      guard folder.next < folder.entries.count else {
        stack.removeLast()
        var id = git_oid()
        // Versions, like git, do not record empty folders (the root is always written).
        if !stack.isEmpty && git_treebuilder_entrycount(folder.builder) == 0 { continue }
        try Git.check(
          git_treebuilder_write(&id, folder.builder), "saving the folder '\(WorkspaceLinks.shown(folder.relative))'")
        guard let parent = stack.last else { return id }
        try insert(folder.name, id, GIT_FILEMODE_TREE, into: parent)
        continue
      }
      let entry = folder.entries[folder.next]
      folder.next += 1
      let path = folder.absolute + "/" + entry.name
      let rel = folder.relative.isEmpty ? entry.name : folder.relative + "/" + entry.name
      let baseEntry = folder.base.flatMap { git_tree_entry_byname($0, entry.name) }
      var oid = git_oid()
      switch entry.kind {
      case .file(let size, let executable):
        // A file deleted since the scan is simply not there, as the scan itself treats it.
        guard let id = try fileID(path: path, relative: rel, size: size, base: baseEntry) else { continue }
        try insert(entry.name, id, executable ? GIT_FILEMODE_BLOB_EXECUTABLE : GIT_FILEMODE_BLOB, into: folder)
      case .symlink(let target):
        let rc = target.withCString { text in
          mode == .store
            ? git_blob_create_from_buffer(&oid, repo, text, strlen(text))
            : git_odb_hash(&oid, text, strlen(text), GIT_OBJECT_BLOB)
        }
        try Git.check(rc, "saving the link '\(rel)'")
        try insert(entry.name, oid, GIT_FILEMODE_LINK, into: folder)
      case .directory(let children):
        var subtree: OpaquePointer?
        if let baseEntry, git_tree_entry_type(baseEntry) == GIT_OBJECT_TREE {
          _ = git_tree_lookup(&subtree, repo, git_tree_entry_id(baseEntry))  // no base: everything is new
        }
        stack.append(
          try Folder(repo: repo, entries: children, absolute: path, relative: rel, name: entry.name, owned: subtree))
      }
    }
    throw Git.failure(-1, "saving the workspace")  // unreachable: the root folder returns
  }

  private func insert(
    _ name: String, _ id: git_oid, _ fileMode: git_filemode_t, into folder: Folder
  ) throws(GoldfishError) {
    var oid = id
    if git_treebuilder_insert(nil, folder.builder, name, &oid, fileMode) < 0 {
      let rel = folder.relative.isEmpty ? name : folder.relative + "/" + name
      throw GoldfishError(
        .invalidArgument, "The name '\(WorkspaceLinks.shown(rel))' cannot be saved in a workspace version.",
        hint: "Rename or ignore it.",
        detail: ["path": .string(WorkspaceLinks.shown(rel)), "internal": .string(Git.lastMessage())])
    }
  }

  /// One folder being written: its tree builder, its counterpart in the previous version, and how
  /// far the walk got. Frees what it owns however the walk ends.
  private final class Folder {
    let entries: [ScannedEntry]
    let absolute: String
    let relative: String
    let name: String
    let base: OpaquePointer?
    private let ownsBase: Bool
    let builder: OpaquePointer
    var next = 0

    init(
      repo: OpaquePointer, entries: [ScannedEntry], absolute: String, relative: String, name: String,
      base: OpaquePointer? = nil, owned: OpaquePointer? = nil
    ) throws(GoldfishError) {
      var builder: OpaquePointer?
      let rc = git_treebuilder_new(&builder, repo, nil)
      guard rc >= 0, let builder else {
        git_tree_free(owned)
        throw Git.failure(rc, "preparing a folder listing")
      }
      self.entries = entries
      self.absolute = absolute
      self.relative = relative
      self.name = name
      self.base = owned ?? base
      self.ownsBase = owned != nil
      self.builder = builder
    }

    deinit {
      git_treebuilder_free(builder)
      if ownsBase { git_tree_free(base) }
    }
  }

  private func fileID(
    path: String, relative: String, size: Int64, base: OpaquePointer?
  ) throws(GoldfishError)
    -> git_oid?
  {
    if let base, git_tree_entry_type(base) == GIT_OBJECT_BLOB {
      var baseID = git_tree_entry_id(base).pointee
      var sameSize = true
      if size > Self.sizeCheckThreshold {
        var length = 0
        var type = GIT_OBJECT_ANY
        if git_odb_read_header(&length, &type, odb, &baseID) == 0 { sameSize = Int64(length) == size }
      }
      if sameSize {
        guard let hashed = try hash(path: path, relative: relative) else { return nil }
        if Git.equal(hashed, baseID) || mode == .hashOnly { return hashed }
      }
    }
    return mode == .store ? try stream(path: path, relative: relative, size: size) : placeholder(relative)
  }

  /// For a comparison, a file with nothing to compare against is "added" or "modified" whatever its
  /// bytes: an id derived from its path (never equal to a real blob of the base) spares reading it.
  private func placeholder(_ relative: String) -> git_oid {
    var oid = git_oid()
    let text = "goldfish: content not read: " + relative
    _ = git_odb_hash(&oid, text, text.utf8.count, GIT_OBJECT_BLOB)
    return oid
  }

  /// nil when the file no longer exists.
  private func hash(path: String, relative: String) throws(GoldfishError) -> git_oid? {
    var oid = git_oid()
    if git_odb_hashfile(&oid, path, GIT_OBJECT_BLOB) < 0 {
      if Self.vanished(path) { return nil }
      var error = GitFailure.io("read", path: relative)
      error.detail["internal"] = .string(Git.lastMessage())
      throw error
    }
    return oid
  }

  /// Writes a blob straight from the file through the object store's write stream: constant memory
  /// whatever the file size, and no content filters (line endings are stored exactly as on disk).
  private func stream(path: String, relative: String, size: Int64) throws(GoldfishError) -> git_oid? {
    let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
    guard fd >= 0 else {
      if errno == ENOENT { return nil }
      throw GitFailure.io("read", path: relative)
    }
    defer { close(fd) }
    var stream: UnsafeMutablePointer<git_odb_stream>?
    try Git.check(git_odb_open_wstream(&stream, odb, git_object_size_t(size), GIT_OBJECT_BLOB), "saving '\(relative)'")
    defer { git_odb_stream_free(stream) }
    var total: Int64 = 0
    while true {
      let count = read(fd, buffer.baseAddress, buffer.count)
      if count < 0 {
        if errno == EINTR { continue }
        throw GitFailure.io("read", path: relative)
      }
      if count == 0 { break }
      total += Int64(count)
      if total > size { throw Self.changedWhileSaving(relative) }
      let chunk = buffer.baseAddress?.assumingMemoryBound(to: CChar.self)
      try Git.check(git_odb_stream_write(stream, chunk, count), "saving '\(relative)'")
    }
    if total != size { throw Self.changedWhileSaving(relative) }
    var oid = git_oid()
    try Git.check(git_odb_stream_finalize_write(&oid, stream), "saving '\(relative)'")
    return oid
  }

  /// Editors and `write(atomically:)` leave temporary files that are renamed away within moments.
  private static func vanished(_ path: String) -> Bool {
    var info = stat()
    return lstat(path, &info) != 0 && errno == ENOENT
  }

  static func changedWhileSaving(_ relative: String) -> GoldfishError {
    GoldfishError(
      .ioFailed, "The file '\(relative)' changed while the workspace was being saved; nothing was saved.",
      hint: "Wait until whatever writes it has finished, then retry.",
      detail: ["path": .string(relative), "retryable": .bool(true)])
  }
}
