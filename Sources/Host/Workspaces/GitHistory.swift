import CGit2
import Foundation
import PluginKit

// Reading saved states: history of a workspace, one commit, one file.
extension GitRepository {
  /// The newest `limit` commits reachable from `branch`, newest first.
  public func log(branch: String, limit: Int) throws(GoldfishError) -> [CommitInfo] {
    let ref = try Self.branchRef(branch)
    return try locked { () throws(GoldfishError) in
      guard let head = try resolve(ref) else {
        throw GoldfishError(
          .branchNotFound, "The \(GitWords.workspace(branch)) does not exist.",
          hint: "List workspaces to see the names that exist.", detail: ["workspace": .string(branch)])
      }
      guard limit > 0 else { return [] }
      var walker: OpaquePointer?
      try Git.check(git_revwalk_new(&walker, handle), "reading the history")
      defer { git_revwalk_free(walker) }
      // Topological first: commits made within one second must still come out in parent order.
      try Git.check(
        git_revwalk_sorting(walker, GIT_SORT_TOPOLOGICAL.rawValue | GIT_SORT_TIME.rawValue), "reading the history")
      var start = Git.oid(head)
      try Git.check(git_revwalk_push(walker, &start), "reading the history")
      var result: [CommitInfo] = []
      var oid = git_oid()
      while result.count < limit {
        let rc = git_revwalk_next(&oid, walker)
        if rc == GIT_ITEROVER.rawValue { break }
        try Git.check(rc, "reading the history")
        result.append(try info(CommitID(oid)))
      }
      return result
    }
  }

  public func commitInfo(_ id: CommitID) throws(GoldfishError) -> CommitInfo {
    try locked { () throws(GoldfishError) in try info(id) }
  }

  func info(_ id: CommitID) throws(GoldfishError) -> CommitInfo {
    let commit = try lookupCommit(id)
    defer { git_commit_free(commit) }
    let message = git_commit_message(commit).map { String(cString: $0) } ?? ""
    let time = Date(timeIntervalSince1970: TimeInterval(git_commit_time(commit)))
    let parents = (0..<git_commit_parentcount(commit)).compactMap { index in
      git_commit_parent_id(commit, index).map { CommitID($0.pointee) }
    }
    return CommitInfo(id: id, message: message, time: time, parents: parents)
  }

  /// The bytes of the file at `path` ('/'-separated, relative to the workspace root) in `commit`;
  /// nil when there is no such file (or it is a folder).
  public func readFile(at path: String, in commit: CommitID) throws(GoldfishError) -> Data? {
    let parts = path.split(separator: "/", omittingEmptySubsequences: true)
    guard !path.hasPrefix("/"), !parts.isEmpty, !parts.contains(where: { $0 == ".." || $0 == "." }) else {
      throw GitFailure.unsafePath(path, "is not a relative path inside the workspace")
    }
    let clean = parts.joined(separator: "/")
    return try locked { () throws(GoldfishError) -> Data? in
      guard let tree = try lookupTree(commit, in: handle) else { return nil }
      defer { git_tree_free(tree) }
      var entry: OpaquePointer?
      let rc = git_tree_entry_bypath(&entry, tree, clean)
      if rc == Git.notFound { return nil }
      try Git.check(rc, "reading '\(clean)'")
      defer { git_tree_entry_free(entry) }
      guard git_tree_entry_type(entry) == GIT_OBJECT_BLOB else { return nil }
      var blob: OpaquePointer?
      try Git.check(git_blob_lookup(&blob, handle, git_tree_entry_id(entry)), "reading '\(clean)'")
      defer { git_blob_free(blob) }
      let size = Int(git_blob_rawsize(blob))
      guard size > 0, let bytes = git_blob_rawcontent(blob) else { return Data() }
      return Data(bytes: bytes, count: size)
    }
  }
}
