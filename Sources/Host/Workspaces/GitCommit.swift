import CGit2
import Foundation
import PluginKit

extension GitRepository {
  static let authorName = "Goldfish"
  static let authorEmail = "goldfish@localhost"

  /// Commits exactly the files of `directory` on `branch` (see the API contract in the design notes):
  /// delete semantics, ignore rules and `excluding` applied, symlinks leaving the directory skipped,
  /// no commit when nothing changed, `file_too_large` before anything is written, and the branch moved
  /// only if it still points where it pointed when we started (`version_conflict` otherwise).
  ///
  /// `ignore` is used as given: callers that honour the directory's own `.gitignore` pass
  /// `rules.adding(gitignoreAt: directory)`. With a `statCache`, files whose stamp it holds are not
  /// read again, and it is saved with what this save found once the branch has moved (or nothing
  /// changed).
  public func commitDirectory(
    _ directory: String, branch: String, message: String, ignore: IgnoreRules, maxFileBytes: Int64?,
    excluding: Set<String>, statCachePath: String? = nil
  ) throws(GoldfishError) -> CommitResult {
    let statCache = statCachePath.map { StatCache(file: $0) }
    let result = try commitDirectory(
      directory, branch: branch, message: message, ignore: ignore, maxFileBytes: maxFileBytes, excluding: excluding,
      statCache: statCache)
    statCache?.save()
    return result
  }

  func commitDirectory(
    _ directory: String, branch: String, message: String, ignore: IgnoreRules, maxFileBytes: Int64?,
    excluding: Set<String>, statCache: StatCache?
  ) throws(GoldfishError) -> CommitResult {
    let ref = try Self.branchRef(branch)
    return try locked { () throws(GoldfishError) in
      // The expected old value of the compare-and-swap: everything below is computed against it.
      let head = try resolve(ref)
      let headTree = try lookupTree(head, in: handle)
      defer { git_tree_free(headTree) }

      let scanner = try DirectoryScanner(
        root: directory, ignore: ignore, excluding: excluding, maxFileBytes: maxFileBytes)
      let entries = try scanner.scan()  // size limit enforced here, before any object is written

      let writer = try TreeWriter(repo: handle, mode: .store, statCache: statCache)
      var treeID = try writer.writeRoot(entries, directory: scanner.root, base: headTree)
      if let head, let headTree, Git.equal(treeID, git_tree_id(headTree).pointee) {
        return CommitResult(commit: head, changed: false, filesRead: writer.filesRead, packs: writer.packsWritten)
      }

      var tree: OpaquePointer?
      try Git.check(git_tree_lookup(&tree, handle, &treeID), "saving the \(GitWords.workspace(branch))")
      defer { git_tree_free(tree) }
      var parent: OpaquePointer?
      if let head { parent = try lookupCommit(head) }
      defer { git_commit_free(parent) }

      var signature: UnsafeMutablePointer<git_signature>?
      try Git.check(
        git_signature_now(&signature, Self.authorName, Self.authorEmail), "saving the \(GitWords.workspace(branch))")
      defer { git_signature_free(signature) }

      var commitID = git_oid()
      var parents: [OpaquePointer?] = parent.map { [$0] } ?? []
      let rc = parents.withUnsafeMutableBufferPointer { buffer in
        git_commit_create(
          &commitID, handle, nil, signature, signature, nil, message, tree, buffer.count, buffer.baseAddress)
      }
      try Git.check(rc, "saving the \(GitWords.workspace(branch))")

      beforeBranchMove?()
      try moveBranch(ref, branch: branch, to: commitID, expected: head)
      return CommitResult(
        commit: CommitID(commitID), changed: true, filesRead: writer.filesRead, packs: writer.packsWritten)
    }
  }

  /// Compare-and-swap of a branch: libgit2 checks the current value under the ref's lock file, so
  /// a concurrent writer in this or another process either wins cleanly or makes us fail cleanly.
  func moveBranch(_ ref: String, branch: String, to new: git_oid, expected: CommitID?) throws(GoldfishError) {
    var target = new
    var reference: OpaquePointer?
    defer { git_reference_free(reference) }
    let rc: Int32
    if let expected {
      var old = Git.oid(expected)
      rc = git_reference_create_matching(&reference, handle, ref, &target, 1, &old, "goldfish: save")
    } else {
      // No head when we started: the branch must still not exist.
      rc = git_reference_create_matching(&reference, handle, ref, &target, 0, nil, "goldfish: save")
    }
    if rc == Git.modified || rc == Git.exists || rc == Git.locked || rc == Git.notFound {
      throw GitFailure.versionConflict(branch, internal: Git.lastMessage())
    }
    try Git.check(rc, "saving the \(GitWords.workspace(branch))")
  }
}
