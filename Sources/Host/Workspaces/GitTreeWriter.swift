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
///
/// Three passes: the walk plans every folder and answers what it can without reading a file (the
/// stat cache, links); the files left are read (small ones on every core, and written as one pack
/// when there are many new ones); then the trees are written deepest first.
final class TreeWriter {
  enum Mode { case store, hashOnly }

  static let bufferSize = 1 << 20
  /// Above this size, a length check against the stored blob (one small read) can prove a change
  /// before hashing the whole file.
  static let sizeCheckThreshold: Int64 = 1 << 20
  /// Files up to this size are read whole by `BlobWorkers`; larger ones are streamed one at a time.
  static let packedFileLimit: Int64 = 4 << 20
  /// A save with at least this many small files to read writes its new blobs as a pack; below it,
  /// loose objects (as git keeps fetches under its unpack limit loose).
  static let packThreshold = 256
  /// Small files are read in batches of this many, so a huge save keeps a bounded amount in memory.
  static let batchSize = 8192

  private let repo: OpaquePointer
  private let odb: OpaquePointer
  private let mode: Mode
  private let buffer: UnsafeMutableRawBufferPointer
  private let statCache: StatCache?
  /// Files whose content was read (hashed, stored or both) by the last `writeRoot`.
  private(set) var filesRead = 0
  private(set) var packsWritten = 0

  init(repo: OpaquePointer, mode: Mode, statCache: StatCache? = nil) throws(GoldfishError) {
    var odb: OpaquePointer?
    try Git.check(git_repository_odb(&odb, repo), "opening the object store")
    guard let odb else { throw Git.failure(-1, "opening the object store") }
    self.repo = repo
    self.odb = odb
    self.mode = mode
    self.statCache = statCache
    self.buffer = .allocate(byteCount: Self.bufferSize, alignment: 16)
  }

  deinit {
    git_odb_free(odb)
    buffer.deallocate()
  }

  /// Where a planned entry's id comes from.
  private enum Source {
    case id(git_oid)
    case file(Int)
    case folder(Int)
  }

  private struct PlannedEntry {
    let name: String
    let mode: git_filemode_t
    let source: Source
    /// The entry of the same name in the previous version's folder, if any.
    var base: BaseEntry? = nil
  }

  /// What the previous version's folder says about one name.
  private struct BaseEntry {
    let id: git_oid
    let rawMode: git_filemode_t
  }

  private struct PlannedFolder {
    let relative: String
    /// The previous version's tree for this folder (its id and how many entries it has): when
    /// every entry resolves to exactly what that tree holds, it is that tree (git's cache-tree).
    var base: (id: git_oid, count: Int)? = nil
    var entries: [PlannedEntry] = []
  }

  /// A folder being walked: what it holds, its counterpart in the previous version (owned: freed
  /// when the walk leaves it) and where its plan is.
  private struct Frame {
    let entries: [ScannedEntry]
    let absolute: String
    let relative: String
    let base: OpaquePointer?
    let ownsBase: Bool
    let folder: Int
    var next = 0
  }

  /// The id of the root tree (the empty tree for an empty directory).
  ///
  /// Folders are walked from an explicit stack rather than by recursion, so the depth of a tree
  /// never reaches the thread's stack.
  func writeRoot(_ entries: [ScannedEntry], directory: String, base: OpaquePointer?) throws(GoldfishError) -> git_oid {
    var folders = [PlannedFolder(relative: "", base: base.map { Self.identity(of: $0) })]
    var jobs: [FileJob] = []
    var stack = [Frame(entries: entries, absolute: directory, relative: "", base: base, ownsBase: false, folder: 0)]
    defer { for frame in stack where frame.ownsBase { git_tree_free(frame.base) } }
    while let top = stack.last {
      guard top.next < top.entries.count else {
        if top.ownsBase { git_tree_free(top.base) }
        stack.removeLast()
        continue
      }
      let entry = top.entries[top.next]
      stack[stack.count - 1].next += 1
      let rel = top.relative.isEmpty ? entry.name : top.relative + "/" + entry.name
      let baseEntry = top.base.flatMap { git_tree_entry_byname($0, entry.name) }
      let base = baseEntry.map {
        BaseEntry(id: git_tree_entry_id($0).pointee, rawMode: git_tree_entry_filemode_raw($0))
      }
      switch entry.kind {
      case .file(let size, let executable, let stamp):
        let fileMode = executable ? GIT_FILEMODE_BLOB_EXECUTABLE : GIT_FILEMODE_BLOB
        var baseID: git_oid?
        if let baseEntry, git_tree_entry_type(baseEntry) == GIT_OBJECT_BLOB {
          baseID = git_tree_entry_id(baseEntry).pointee
        }
        var cached = statCache?.lookup(rel, stamp)
        if let id = cached, mode == .store, !isStored(id, base: baseID) {
          statCache?.reject()
          cached = nil
        }
        let source: Source
        if let cached {
          statCache?.record(rel, stamp, cached)
          source = .id(cached)
        } else {
          source = .file(jobs.count)
          jobs.append(
            FileJob(path: top.absolute + "/" + entry.name, relative: rel, size: size, baseID: baseID, stamp: stamp))
        }
        folders[top.folder].entries.append(PlannedEntry(name: entry.name, mode: fileMode, source: source, base: base))
      case .symlink(let target):
        var oid = git_oid()
        let rc = target.withCString { text in
          mode == .store
            ? git_blob_create_from_buffer(&oid, repo, text, strlen(text))
            : git_odb_hash(&oid, text, strlen(text), GIT_OBJECT_BLOB)
        }
        try Git.check(rc, "saving the link '\(rel)'")
        folders[top.folder].entries.append(
          PlannedEntry(name: entry.name, mode: GIT_FILEMODE_LINK, source: .id(oid), base: base))
      case .directory(let children):
        let path = top.absolute + "/" + entry.name
        var subtree: OpaquePointer?
        if let baseEntry, git_tree_entry_type(baseEntry) == GIT_OBJECT_TREE {
          _ = git_tree_lookup(&subtree, repo, git_tree_entry_id(baseEntry))  // no base: everything is new
        }
        folders[top.folder].entries.append(
          PlannedEntry(name: entry.name, mode: GIT_FILEMODE_TREE, source: .folder(folders.count), base: base))
        stack.append(
          Frame(
            entries: children, absolute: path, relative: rel, base: subtree, ownsBase: subtree != nil,
            folder: folders.count))
        folders.append(PlannedFolder(relative: rel, base: subtree.map { Self.identity(of: $0) }))
      }
    }
    let ids = try readFiles(jobs)
    return try writeTrees(folders, files: ids)
  }

  private static func identity(of tree: OpaquePointer) -> (id: git_oid, count: Int) {
    (git_tree_id(tree).pointee, git_tree_entrycount(tree))
  }

  /// A cached id may stand for a stored blob when it is the previous version's (which is stored) or
  /// the object store has it (a cache outliving its repository, e.g. after a restore, must not lie).
  private func isStored(_ id: git_oid, base: git_oid?) -> Bool {
    if let base, Git.equal(base, id) { return true }
    var copy = id
    return git_odb_exists(odb, &copy) != 0
  }

  // MARK: reading files

  /// The id of every job's file (nil: it vanished since the scan), each noted in the stat cache.
  private func readFiles(_ jobs: [FileJob]) throws(GoldfishError) -> [git_oid?] {
    var ids = [git_oid?](repeating: nil, count: jobs.count)
    let small = jobs.indices.filter { jobs[$0].size <= Self.packedFileLimit && needsContent(jobs[$0]) }
    let pack = mode == .store && small.count >= Self.packThreshold ? PackWriter(repo: repo, odb: odb) : nil
    if mode == .hashOnly || pack != nil {
      var start = 0
      while start < small.count {
        let batch = small[start..<min(small.count, start + Self.batchSize)]
        start = batch.endIndex
        let results = BlobWorkers.run(batch.map { jobs[$0] }[...], deflate: pack != nil)
        for (index, result) in zip(batch, results) {
          ids[index] = try resolve(jobs[index], result, into: pack)
        }
      }
    }
    let readAlready = Set(mode == .hashOnly || pack != nil ? small : [])
    for index in jobs.indices where !readAlready.contains(index) {
      ids[index] = try fileID(jobs[index])
    }
    try pack?.flush()
    packsWritten = pack?.packsWritten ?? 0
    for (job, id) in zip(jobs, ids) {
      guard let id else { continue }
      filesRead += 1
      // A comparison's ids may be placeholders, and it never saves the cache.
      if mode == .store { statCache?.record(job.relative, job.stamp, id) }
    }
    return ids
  }

  /// A comparison needs no content for a file the base did not have (see `placeholder`).
  private func needsContent(_ job: FileJob) -> Bool { mode == .store || job.baseID != nil }

  private func resolve(_ job: FileJob, _ result: BlobResult, into pack: PackWriter?) throws(GoldfishError) -> git_oid? {
    switch result {
    case .vanished: return nil
    case .failed(let error): throw error
    case .read(let id, let deflated):
      guard let pack, !(job.baseID.map { Git.equal($0, id) } ?? false), !pack.has(id) else { return id }
      guard let deflated else { return try stream(path: job.path, relative: job.relative, size: job.size) }
      try pack.add(id, type: GIT_OBJECT_BLOB, size: Int(job.size), deflated: deflated)
      return id
    }
  }

  // MARK: writing trees

  /// Writes the planned folders deepest first (a folder is planned after its parent); empty
  /// folders are left out, as git does, except the root.
  private func writeTrees(_ folders: [PlannedFolder], files: [git_oid?]) throws(GoldfishError) -> git_oid {
    var written = [git_oid?](repeating: nil, count: folders.count)
    for index in folders.indices.reversed() {
      let folder = folders[index]
      if let unchanged = Self.unchangedTree(folder, files: files, written: written) {
        written[index] = unchanged
        continue
      }
      var builder: OpaquePointer?
      try Git.check(git_treebuilder_new(&builder, repo, nil), "preparing a folder listing")
      defer { git_treebuilder_free(builder) }
      for entry in folder.entries {
        guard var id = Self.resolvedID(entry, files: files, written: written) else { continue }
        if git_treebuilder_insert(nil, builder, entry.name, &id, entry.mode) < 0 {
          let rel = folder.relative.isEmpty ? entry.name : folder.relative + "/" + entry.name
          throw GoldfishError(
            .invalidArgument, "The name '\(WorkspaceLinks.shown(rel))' cannot be saved in a workspace version.",
            hint: "Rename or ignore it.",
            detail: ["path": .string(WorkspaceLinks.shown(rel)), "internal": .string(Git.lastMessage())])
        }
      }
      // Versions, like git, do not record empty folders (the root is always written).
      if index != 0 && git_treebuilder_entrycount(builder) == 0 { continue }
      var id = git_oid()
      try Git.check(
        git_treebuilder_write(&id, builder), "saving the folder '\(WorkspaceLinks.shown(folder.relative))'")
      written[index] = id
    }
    guard let root = written[0] else { throw Git.failure(-1, "saving the workspace") }
    return root
  }

  /// The id an entry gets in its folder's tree: known, hashed from its file, or its subfolder's
  /// tree; nil for a file that could not be stored or a folder left out as empty.
  private static func resolvedID(_ entry: PlannedEntry, files: [git_oid?], written: [git_oid?]) -> git_oid? {
    switch entry.source {
    case .id(let known): known
    case .file(let job): files[job]
    case .folder(let child): written[child]
    }
  }

  /// The previous version's tree id when this folder resolves to exactly its entries: the same
  /// names (same count, each found by name), modes and ids make the same tree bytes, so the same id.
  /// It is the object the builder would write, already stored: no serialising, hashing or freshening
  /// of an unchanged folder.
  private static func unchangedTree(
    _ folder: PlannedFolder, files: [git_oid?], written: [git_oid?]
  ) -> git_oid? {
    guard let base = folder.base else { return nil }
    var count = 0
    for entry in folder.entries {
      // Not in the tree the builder would write either.
      guard let id = resolvedID(entry, files: files, written: written) else { continue }
      guard let previous = entry.base, previous.rawMode == entry.mode, Git.equal(previous.id, id) else { return nil }
      count += 1
    }
    return count == base.count ? base.id : nil
  }

  // MARK: one file at a time

  private func fileID(_ job: FileJob) throws(GoldfishError) -> git_oid? {
    let (path, relative, size) = (job.path, job.relative, job.size)
    if var baseID = job.baseID {
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
