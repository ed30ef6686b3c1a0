import CGit2
import Foundation
import PluginKit

// What changed: between two saved states, or between a saved state and a directory.
//
// A directory is compared by turning it into a tree inside a scratch repository that reads every
// object of this one but keeps what it writes in memory (mempack), so both kinds of comparison go
// through the same tree diff and agree on what "changed" means (content or executable bit), and a
// read-only question never adds objects to the project's store. For a file list only ids are needed
// (files are hashed, not stored); a unified diff stores the changed files' contents in that memory.
extension GitRepository {
  public func changes(from old: CommitID?, to new: CommitID) throws(GoldfishError) -> [FileChange] {
    try locked { () throws(GoldfishError) in
      let oldTree = try lookupTree(old, in: handle)
      defer { git_tree_free(oldTree) }
      let newTree = try lookupTree(new, in: handle)
      defer { git_tree_free(newTree) }
      return try Self.fileChanges(try Self.diff(handle, oldTree, newTree))
    }
  }

  /// With a `statCachePath`, files whose stamp the slot's stat cache holds are not read (the cache is
  /// only read: a comparison never writes it).
  public func changes(
    from old: CommitID?, toDirectory directory: String, ignore: IgnoreRules, excluding: Set<String>,
    statCachePath: String? = nil
  )
    throws(GoldfishError) -> [FileChange]
  {
    let cache = statCachePath.map { StatCache(file: $0) }
    return try locked { () throws(GoldfishError) in
      try withDirectoryTree(old, directory, ignore, excluding, mode: .hashOnly, statCache: cache) {
        diff throws(GoldfishError) in
        try Self.fileChanges(diff)
      }
    }
  }

  public func unifiedDiff(from old: CommitID?, to new: CommitID) throws(GoldfishError) -> String {
    try locked { () throws(GoldfishError) in
      let oldTree = try lookupTree(old, in: handle)
      defer { git_tree_free(oldTree) }
      let newTree = try lookupTree(new, in: handle)
      defer { git_tree_free(newTree) }
      return try Self.patchText(try Self.diff(handle, oldTree, newTree))
    }
  }

  /// Binary files appear as git prints them: "Binary files a/PATH and b/PATH differ".
  public func unifiedDiff(
    from old: CommitID?, toDirectory directory: String, ignore: IgnoreRules, excluding: Set<String>
  ) throws(GoldfishError) -> String {
    try locked { () throws(GoldfishError) in
      try withDirectoryTree(old, directory, ignore, excluding, mode: .store) { diff throws(GoldfishError) in
        try Self.patchText(diff)
      }
    }
  }

  // MARK: helpers (callers hold the lock)

  /// Builds the directory's tree in a scratch repository and hands `body` its diff against `old`.
  private func withDirectoryTree<T>(
    _ old: CommitID?, _ directory: String, _ ignore: IgnoreRules, _ excluding: Set<String>, mode: TreeWriter.Mode,
    statCache: StatCache? = nil, _ body: (DiffHandle) throws(GoldfishError) -> T
  ) throws(GoldfishError) -> T {
    let scanner = try DirectoryScanner(root: directory, ignore: ignore, excluding: excluding, maxFileBytes: nil)
    let entries = try scanner.scan()
    return try withScratchRepository { scratch throws(GoldfishError) in
      let oldTree = try lookupTree(old, in: scratch)
      defer { git_tree_free(oldTree) }
      var treeID = try TreeWriter(repo: scratch, mode: mode, statCache: statCache).writeRoot(
        entries, directory: scanner.root, base: oldTree)
      var newTree: OpaquePointer?
      try Git.check(git_tree_lookup(&newTree, scratch, &treeID), "comparing the workspace")
      defer { git_tree_free(newTree) }
      return try body(try Self.diff(scratch, oldTree, newTree))
    }
  }

  /// A repository that reads this one's objects (as an alternate) and writes into memory only.
  private func withScratchRepository<T>(_ body: (OpaquePointer) throws(GoldfishError) -> T) throws(GoldfishError) -> T {
    var odb: OpaquePointer?
    try Git.check(git_odb_new(&odb), "comparing the workspace")
    defer { git_odb_free(odb) }
    var memory: UnsafeMutablePointer<git_odb_backend>?
    try Git.check(git_mempack_new(&memory), "comparing the workspace")
    let added = git_odb_add_backend(odb, memory, 1000)
    if added < 0 {
      memory?.pointee.free?(memory)  // not owned by the odb unless added
      throw Git.failure(added, "comparing the workspace")
    }
    let objects = String(cString: git_repository_path(handle)) + "objects"
    try Git.check(git_odb_add_disk_alternate(odb, objects), "comparing the workspace")
    var scratch: OpaquePointer?
    try Git.check(git_repository_wrap_odb(&scratch, odb), "comparing the workspace")
    defer { git_repository_free(scratch) }
    guard let scratch else { throw Git.failure(-1, "comparing the workspace") }
    var config: OpaquePointer?
    try Git.check(git_config_new(&config), "comparing the workspace")
    defer { git_config_free(config) }
    try Git.check(git_repository_set_config(scratch, config), "comparing the workspace")
    return try body(scratch)
  }

  /// Owns a git_diff.
  final class DiffHandle {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { git_diff_free(pointer) }
  }

  private static func diff(
    _ repo: OpaquePointer, _ old: OpaquePointer?, _ new: OpaquePointer?
  ) throws(GoldfishError)
    -> DiffHandle
  {
    var options = git_diff_options()
    try Git.check(git_diff_options_init(&options, UInt32(GIT_DIFF_OPTIONS_VERSION)), "comparing versions")
    // A file that became a link (or the reverse) is one modified path, not a deletion plus an addition.
    options.flags |= GIT_DIFF_INCLUDE_TYPECHANGE.rawValue
    var diff: OpaquePointer?
    try Git.check(git_diff_tree_to_tree(&diff, repo, old, new, &options), "comparing versions")
    guard let diff else { throw Git.failure(-1, "comparing versions") }
    return DiffHandle(diff)
  }

  private static func fileChanges(_ diff: DiffHandle) throws(GoldfishError) -> [FileChange] {
    var changes: [FileChange] = []
    let count = git_diff_num_deltas(diff.pointer)
    changes.reserveCapacity(count)
    for index in 0..<count {
      guard let delta = git_diff_get_delta(diff.pointer, index)?.pointee else { continue }
      let status: FileChange.Status
      switch delta.status {
      case GIT_DELTA_ADDED: status = .added
      case GIT_DELTA_DELETED: status = .deleted
      case GIT_DELTA_MODIFIED, GIT_DELTA_TYPECHANGE: status = .modified
      default: continue
      }
      let file = status == .deleted ? delta.old_file : delta.new_file
      guard let path = file.path else { continue }
      changes.append(FileChange(path: String(cString: path), status: status))
    }
    return changes.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
  }

  private static func patchText(_ diff: DiffHandle) throws(GoldfishError) -> String {
    var buffer = git_buf()
    defer { git_buf_dispose(&buffer) }
    try Git.check(git_diff_to_buf(&buffer, diff.pointer, GIT_DIFF_FORMAT_PATCH), "comparing versions")
    guard let pointer = buffer.ptr, buffer.size > 0 else { return "" }
    return String(decoding: UnsafeRawBufferPointer(start: pointer, count: buffer.size), as: UTF8.self)
  }
}
