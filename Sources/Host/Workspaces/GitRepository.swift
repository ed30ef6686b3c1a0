import CGit2
import Foundation

/// The version store: a bare git repository, used only through libgit2. Workspaces are
/// branches, versions are tags; nothing about git reaches users. One handle may be used from
/// several threads: libgit2 objects are not thread-safe per repository, so calls are serialised.
public final class GitRepository: @unchecked Sendable {
  let repository: OpaquePointer
  let lock = PthreadLock()
  public let path: String

  private init(repository: OpaquePointer, path: String) {
    self.repository = repository
    self.path = path
  }

  deinit { git_repository_free(repository) }

  public static func create(at path: String) throws(GoldfishError) -> GitRepository {
    _ = Git.initialized
    if FileManager.default.fileExists(atPath: path) {
      throw GoldfishError(.alreadyExists, "a version store already exists at \(path)")
    }
    var repository: OpaquePointer?
    try Git.check(git_repository_init(&repository, path, 1), "be created at \(path)")
    return GitRepository(repository: repository!, path: path)
  }

  public static func open(at path: String) throws(GoldfishError) -> GitRepository {
    _ = Git.initialized
    var repository: OpaquePointer?
    let code = git_repository_open_bare(&repository, path)
    guard code == 0, let repository else {
      throw GoldfishError(
        .versionStoreFailed, "the version store at \(path) cannot be opened",
        hint: "restore the project's .goldfish folder from a backup",
        detail: ["internal": .string(Git.lastError())])
    }
    return GitRepository(repository: repository, path: path)
  }

  func withLock<T>(_ body: () throws(GoldfishError) -> T) throws(GoldfishError) -> T {
    do {
      return try lock.withLock { () throws -> T in try body() }
    } catch let error as GoldfishError {
      throw error
    } catch {
      throw GoldfishError(.versionStoreFailed, "the version store failed: \(error)")
    }
  }

  // MARK: references

  public func branchHead(_ name: String) throws(GoldfishError) -> CommitID? {
    try withLock { () throws(GoldfishError) -> CommitID? in try resolve("refs/heads/" + name) }
  }

  public func tagTarget(_ name: String) throws(GoldfishError) -> CommitID? {
    try withLock { () throws(GoldfishError) -> CommitID? in try resolve("refs/tags/" + name) }
  }

  func resolve(_ reference: String) throws(GoldfishError) -> CommitID? {
    var oid = git_oid()
    let code = git_reference_name_to_id(&oid, repository, reference)
    if code == GIT_ENOTFOUND.rawValue { return nil }
    try Git.check(code, "read \(reference)")
    return Git.commitID(oid)
  }

  public func createBranch(_ name: String, at commit: CommitID) throws(GoldfishError) {
    try withLock { () throws(GoldfishError) in
      var oid = try Git.oid(commit)
      var reference: OpaquePointer?
      let code = git_reference_create(&reference, repository, "refs/heads/" + name, &oid, 0, "goldfish: create")
      defer { git_reference_free(reference) }
      if code == GIT_EEXISTS.rawValue {
        throw GoldfishError(.branchExists, "a workspace line named \(name) already exists")
      }
      try Git.check(code, "create \(name)")
    }
  }

  public func deleteBranch(_ name: String) throws(GoldfishError) {
    try withLock { () throws(GoldfishError) in try deleteReference("refs/heads/" + name) }
  }

  public func createTag(_ name: String, at commit: CommitID) throws(GoldfishError) {
    try withLock { () throws(GoldfishError) in
      var oid = try Git.oid(commit)
      var reference: OpaquePointer?
      let code = git_reference_create(&reference, repository, "refs/tags/" + name, &oid, 0, "goldfish: version")
      defer { git_reference_free(reference) }
      if code == GIT_EEXISTS.rawValue {
        if try resolve("refs/tags/" + name) == commit { return }
        throw GoldfishError(.tagExists, "version \(name) already exists with other files")
      }
      try Git.check(code, "record version \(name)")
    }
  }

  public func deleteTag(_ name: String) throws(GoldfishError) {
    try withLock { () throws(GoldfishError) in try deleteReference("refs/tags/" + name) }
  }

  public func tags(prefix: String) throws(GoldfishError) -> [String] {
    try withLock { () throws(GoldfishError) -> [String] in
      var names = git_strarray()
      try Git.check(git_tag_list_match(&names, prefix + "*", repository), "list versions")
      defer { git_strarray_dispose(&names) }
      return (0..<names.count).compactMap { names.strings[$0].map { String(cString: $0) } }.sorted()
    }
  }

  private func deleteReference(_ name: String) throws(GoldfishError) {
    var reference: OpaquePointer?
    let code = git_reference_lookup(&reference, repository, name)
    if code == GIT_ENOTFOUND.rawValue { return }
    try Git.check(code, "find \(name)")
    defer { git_reference_free(reference) }
    try Git.check(git_reference_delete(reference), "delete \(name)")
  }

  // MARK: commits

  /// Commits exactly the files of `directory` on `branch` (see WorkspaceManager for the rules);
  /// the branch moves by compare-and-swap against the head read at the start.
  public func commitDirectory(
    _ directory: String, branch: String, message: String, ignore: IgnoreRules, maxFileBytes: Int64?,
    excluding: Set<String>
  ) throws(GoldfishError) -> CommitResult {
    try withLock { () throws(GoldfishError) -> CommitResult in
      let reference = "refs/heads/" + branch
      let head = try resolve(reference)
      try DirectorySnapshot.checkSizes(directory, ignore: ignore, excluding: excluding, maxFileBytes: maxFileBytes)
      var tree = try DirectorySnapshot(repository: repository).writeTree(directory, ignore: ignore, excluding: excluding)
      if let head, try treeOf(head) == Git.commitID(tree) {
        return CommitResult(commit: head, changed: false)
      }
      var commitOID = try createCommit(tree: &tree, parent: head, message: message)
      var newReference: OpaquePointer?
      defer { git_reference_free(newReference) }
      let code: Int32
      if let head {
        var expected = try Git.oid(head)
        code = git_reference_create_matching(&newReference, repository, reference, &commitOID, 1, &expected, "goldfish: save")
      } else {
        code = git_reference_create(&newReference, repository, reference, &commitOID, 0, "goldfish: save")
      }
      if code == GIT_EMODIFIED.rawValue || code == GIT_ELOCKED.rawValue || code == GIT_EEXISTS.rawValue {
        throw GoldfishError(
          .versionConflict, "the workspace changed while its files were being saved",
          hint: "retry: another goldfish process saved it at the same moment",
          detail: ["retryable": true, "internal": .string(Git.lastError())])
      }
      try Git.check(code, "save the workspace")
      return CommitResult(commit: Git.commitID(commitOID), changed: true)
    }
  }

  private func createCommit(tree: inout git_oid, parent: CommitID?, message: String) throws(GoldfishError) -> git_oid {
    var treeObject: OpaquePointer?
    try Git.check(git_tree_lookup(&treeObject, repository, &tree), "read the saved files")
    defer { git_tree_free(treeObject) }
    var signature: UnsafeMutablePointer<git_signature>?
    try Git.check(git_signature_now(&signature, "Goldfish", "goldfish@localhost"), "sign the version")
    defer { git_signature_free(signature) }
    var parentObject: OpaquePointer?
    defer { git_commit_free(parentObject) }
    if let parent {
      var parentOID = try Git.oid(parent)
      try Git.check(git_commit_lookup(&parentObject, repository, &parentOID), "read the previous version")
    }
    var oid = git_oid()
    var parents: [OpaquePointer?] = parentObject.map { [$0] } ?? []
    let code = parents.withUnsafeMutableBufferPointer { buffer in
      git_commit_create(
        &oid, repository, nil, signature, signature, "UTF-8", message, treeObject, buffer.count,
        buffer.baseAddress)
    }
    try Git.check(code, "record the version")
    return oid
  }

  func treeOf(_ commit: CommitID) throws(GoldfishError) -> CommitID {
    var oid = try Git.oid(commit)
    var object: OpaquePointer?
    try Git.check(git_commit_lookup(&object, repository, &oid), "read version \(commit.short)")
    defer { git_commit_free(object) }
    return Git.commitID(git_commit_tree_id(object).pointee)
  }

  public func commitInfo(_ id: CommitID) throws(GoldfishError) -> CommitInfo {
    try withLock { () throws(GoldfishError) -> CommitInfo in try info(id) }
  }

  func info(_ id: CommitID) throws(GoldfishError) -> CommitInfo {
    var oid = try Git.oid(id)
    var commit: OpaquePointer?
    try Git.check(git_commit_lookup(&commit, repository, &oid), "read version \(id.short)")
    defer { git_commit_free(commit) }
    let parents = (0..<git_commit_parentcount(commit)).compactMap { index in
      git_commit_parent_id(commit, index).map { Git.commitID($0.pointee) }
    }
    return CommitInfo(
      id: id, message: git_commit_message(commit).map { String(cString: $0) } ?? "",
      time: Date(timeIntervalSince1970: TimeInterval(git_commit_time(commit))), parents: parents)
  }

  public func log(branch: String, limit: Int) throws(GoldfishError) -> [CommitInfo] {
    try withLock { () throws(GoldfishError) -> [CommitInfo] in
      guard try resolve("refs/heads/" + branch) != nil else { return [] }
      var walker: OpaquePointer?
      try Git.check(git_revwalk_new(&walker, repository), "walk the history")
      defer { git_revwalk_free(walker) }
      git_revwalk_sorting(walker, GIT_SORT_TOPOLOGICAL.rawValue | GIT_SORT_TIME.rawValue)
      try Git.check(git_revwalk_push_ref(walker, "refs/heads/" + branch), "walk the history")
      var result: [CommitInfo] = []
      var oid = git_oid()
      while result.count < limit && git_revwalk_next(&oid, walker) == 0 {
        result.append(try info(Git.commitID(oid)))
      }
      return result
    }
  }

  public func readFile(at path: String, in commit: CommitID) throws(GoldfishError) -> Data? {
    try withLock { () throws(GoldfishError) -> Data? in
      var oid = try Git.oid(commit)
      var commitObject: OpaquePointer?
      try Git.check(git_commit_lookup(&commitObject, repository, &oid), "read version \(commit.short)")
      defer { git_commit_free(commitObject) }
      var tree: OpaquePointer?
      try Git.check(git_commit_tree(&tree, commitObject), "read version \(commit.short)")
      defer { git_tree_free(tree) }
      var entry: OpaquePointer?
      let code = git_tree_entry_bypath(&entry, tree, path)
      if code == GIT_ENOTFOUND.rawValue { return nil }
      try Git.check(code, "find \(path)")
      defer { git_tree_entry_free(entry) }
      guard git_tree_entry_type(entry) == GIT_OBJECT_BLOB else { return nil }
      var blob: OpaquePointer?
      try Git.check(git_blob_lookup(&blob, repository, git_tree_entry_id(entry)), "read \(path)")
      defer { git_blob_free(blob) }
      return Data(bytes: git_blob_rawcontent(blob), count: Int(git_blob_rawsize(blob)))
    }
  }
}
