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
  func writeRoot(_ entries: [ScannedEntry], directory: String, base: OpaquePointer?) throws(GoldfishError) -> git_oid {
    var root = git_oid()
    _ = try write(entries, absolute: directory, relative: "", base: base, keepEmpty: true, into: &root)
    return root
  }

  /// Writes one directory; false (nothing written) for an empty directory unless `keepEmpty`,
  /// since versions, like git, do not record empty directories.
  private func write(
    _ entries: [ScannedEntry], absolute: String, relative: String, base: OpaquePointer?, keepEmpty: Bool,
    into result: inout git_oid
  ) throws(GoldfishError) -> Bool {
    var builder: OpaquePointer?
    try Git.check(git_treebuilder_new(&builder, repo, nil), "preparing a folder listing")
    defer { git_treebuilder_free(builder) }

    for entry in entries {
      let path = absolute + "/" + entry.name
      let rel = relative.isEmpty ? entry.name : relative + "/" + entry.name
      let baseEntry = base.flatMap { git_tree_entry_byname($0, entry.name) }
      var oid = git_oid()
      let fileMode: git_filemode_t
      switch entry.kind {
      case .file(let size, let executable):
        fileMode = executable ? GIT_FILEMODE_BLOB_EXECUTABLE : GIT_FILEMODE_BLOB
        // A file deleted since the scan is simply not there, as the scan itself treats it.
        guard let id = try fileID(path: path, relative: rel, size: size, base: baseEntry) else { continue }
        oid = id
      case .symlink(let target):
        fileMode = GIT_FILEMODE_LINK
        let rc = target.withCString { text in
          mode == .store
            ? git_blob_create_from_buffer(&oid, repo, text, strlen(text))
            : git_odb_hash(&oid, text, strlen(text), GIT_OBJECT_BLOB)
        }
        try Git.check(rc, "saving the link '\(rel)'")
      case .directory(let children):
        fileMode = GIT_FILEMODE_TREE
        var subtree: OpaquePointer?
        if let baseEntry, git_tree_entry_type(baseEntry) == GIT_OBJECT_TREE {
          _ = git_tree_lookup(&subtree, repo, git_tree_entry_id(baseEntry))  // no base: everything is new
        }
        defer { git_tree_free(subtree) }
        guard try write(children, absolute: path, relative: rel, base: subtree, keepEmpty: false, into: &oid)
        else { continue }
      }
      let rc = git_treebuilder_insert(nil, builder, entry.name, &oid, fileMode)
      if rc < 0 {
        throw GoldfishError(
          .invalidArgument, "The name '\(rel)' cannot be saved in a workspace version.",
          hint: "Rename or ignore it.", detail: ["path": .string(rel), "internal": .string(Git.lastMessage())])
      }
    }
    if !keepEmpty && git_treebuilder_entrycount(builder) == 0 { return false }
    try Git.check(git_treebuilder_write(&result, builder), "saving the folder '\(relative)'")
    return true
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
