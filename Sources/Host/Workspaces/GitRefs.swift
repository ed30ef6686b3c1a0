import CGit2
import Foundation
import PluginKit

// Branches (workspaces) and lightweight tags (versions).
extension GitRepository {
  public func branchHead(_ name: String) throws(GoldfishError) -> CommitID? {
    let ref = try Self.branchRef(name)
    return try locked { () throws(GoldfishError) in try resolve(ref) }
  }

  /// Creates branch `name` at `commit`; `branch_exists` when it is already there (whatever its target).
  public func createBranch(_ name: String, at commit: CommitID) throws(GoldfishError) {
    let ref = try Self.branchRef(name)
    try locked { () throws(GoldfishError) in
      git_commit_free(try lookupCommit(commit))
      var oid = Git.oid(commit)
      var reference: OpaquePointer?
      let rc = git_reference_create(&reference, handle, ref, &oid, 0, "goldfish: create")
      defer { git_reference_free(reference) }
      if rc == Git.exists {
        throw GoldfishError(
          .branchExists, "The \(GitWords.workspace(name)) already exists.",
          hint: "Choose another name, or delete the existing workspace first.", detail: ["workspace": .string(name)])
      }
      try Git.check(rc, "creating the \(GitWords.workspace(name))")
    }
  }

  /// Removes branch `name`; nothing happens when it does not exist.
  public func deleteBranch(_ name: String) throws(GoldfishError) {
    let ref = try Self.branchRef(name)
    try locked { () throws(GoldfishError) in
      let rc = git_reference_remove(handle, ref)
      if rc == Git.notFound { return }
      try Git.check(rc, "deleting the \(GitWords.workspace(name))")
    }
  }

  /// Tags `commit` as `name`. Tagging the same commit again is a no-op (a retried operation must
  /// succeed); a tag already on another commit is `tag_exists`: versions never move.
  public func createTag(_ name: String, at commit: CommitID) throws(GoldfishError) {
    let ref = try Self.tagRef(name)
    try locked { () throws(GoldfishError) in
      git_commit_free(try lookupCommit(commit))
      var oid = Git.oid(commit)
      var reference: OpaquePointer?
      let rc = git_reference_create(&reference, handle, ref, &oid, 0, "goldfish: version")
      defer { git_reference_free(reference) }
      if rc == Git.exists {
        let existing = try resolve(ref)
        if existing == commit { return }
        throw GoldfishError(
          .tagExists, "The \(GitWords.version(name)) already exists and points at another saved state.",
          hint: "Versions never move: use the next version number.",
          detail: [
            "version": .string(name), "existing": .string(existing?.hex ?? ""), "requested": .string(commit.hex),
          ])
      }
      try Git.check(rc, "creating the \(GitWords.version(name))")
    }
  }

  /// Removes tag `name`; nothing happens when it does not exist.
  public func deleteTag(_ name: String) throws(GoldfishError) {
    let ref = try Self.tagRef(name)
    try locked { () throws(GoldfishError) in
      let rc = git_reference_remove(handle, ref)
      if rc == Git.notFound { return }
      try Git.check(rc, "deleting the \(GitWords.version(name))")
    }
  }

  public func tagTarget(_ name: String) throws(GoldfishError) -> CommitID? {
    let ref = try Self.tagRef(name)
    return try locked { () throws(GoldfishError) in try resolve(ref) }
  }

  /// Tag names starting with `prefix`, sorted by bytes (so "w-v10" sorts before "w-v2": callers that
  /// want version order parse the number).
  public func tags(prefix: String) throws(GoldfishError) -> [String] {
    try locked { () throws(GoldfishError) in
      var iterator: OpaquePointer?
      try Git.check(git_reference_iterator_glob_new(&iterator, handle, "refs/tags/*"), "listing versions")
      defer { git_reference_iterator_free(iterator) }
      var names: [String] = []
      var name: UnsafePointer<CChar>?
      while true {
        let rc = git_reference_next_name(&name, iterator)
        if rc == GIT_ITEROVER.rawValue { break }
        try Git.check(rc, "listing versions")
        guard let name else { continue }
        let tag = String(String(cString: name).dropFirst("refs/tags/".count))
        if tag.hasPrefix(prefix) { names.append(tag) }
      }
      return names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }
  }
}
