import CGit2
import Foundation
import PluginKit

/// The hidden bare repository that holds every workspace of a project: a workspace is the branch
/// `goldfish/<name>`, a version is the tag `<workspace>-vN`, `main` is the fork base.
///
/// One instance may be shared by threads: a libgit2 repository handle is not thread-safe, so every
/// call holds `lock`. Several instances (or processes) on one repository coordinate through git's own
/// lock files and the compare-and-swap on branch moves.
public final class GitRepository: @unchecked Sendable {
  let handle: OpaquePointer
  public let path: String
  let lock = NSLock()
  /// Test seam: runs after the new commit is written and before the branch is moved, so a test can
  /// move the branch from elsewhere at exactly the moment a real race would.
  var beforeBranchMove: (@Sendable () -> Void)?

  private init(handle: OpaquePointer, path: String) {
    self.handle = handle
    self.path = path
  }

  deinit { git_repository_free(handle) }

  /// Creates an empty bare repository whose HEAD names `main`; refuses if anything exists at `path`.
  public static func create(at path: String) throws(GoldfishError) -> GitRepository {
    _ = Git.initialized
    if FileManager.default.fileExists(atPath: path) {
      throw GoldfishError(
        .versionStoreExists, "A version store already exists at '\(path)' (or something else is there).",
        hint: "Open the existing project instead, or choose an empty location.", detail: ["path": .string(path)])
    }
    var options = git_repository_init_options()
    try Git.check(
      git_repository_init_options_init(&options, UInt32(GIT_REPOSITORY_INIT_OPTIONS_VERSION)),
      "creating the version store")
    options.flags =
      GIT_REPOSITORY_INIT_BARE.rawValue | GIT_REPOSITORY_INIT_MKPATH.rawValue
      | GIT_REPOSITORY_INIT_NO_REINIT.rawValue
    var repo: OpaquePointer?
    let rc = "main".withCString { head in
      options.initial_head = head
      return git_repository_init_ext(&repo, path, &options)
    }
    try Git.check(rc, "creating the version store at '\(path)'")
    guard let repo else { throw Git.failure(-1, "creating the version store") }
    try isolateConfig(repo, path: path)
    return GitRepository(handle: repo, path: path)
  }

  public static func open(at path: String) throws(GoldfishError) -> GitRepository {
    _ = Git.initialized
    var repo: OpaquePointer?
    let flags = GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue | GIT_REPOSITORY_OPEN_BARE.rawValue
    let rc = git_repository_open_ext(&repo, path, UInt32(flags), nil)
    if rc == Git.notFound {
      throw GoldfishError(
        .versionStoreNotFound, "No version store was found at '\(path)'.",
        hint: "Run `goldfish init` to create a project, or check the project path.",
        detail: ["path": .string(path), "internal": .string(Git.lastMessage())])
    }
    try Git.check(rc, "opening the version store at '\(path)'")
    guard let repo else { throw Git.failure(-1, "opening the version store") }
    do {
      try isolateConfig(repo, path: path)
    } catch {
      git_repository_free(repo)
      throw error
    }
    return GitRepository(handle: repo, path: path)
  }

  /// Reads only the repository's own config file: ~/.gitconfig and /etc/gitconfig (autocrlf, diff
  /// prefixes, hooks paths, …) must not change what Goldfish stores or shows.
  private static func isolateConfig(_ repo: OpaquePointer, path: String) throws(GoldfishError) {
    var config: OpaquePointer?
    try Git.check(git_config_new(&config), "reading the version store settings")
    defer { git_config_free(config) }
    let file = String(cString: git_repository_path(repo)) + "config"
    if FileManager.default.fileExists(atPath: file) {
      try Git.check(
        git_config_add_file_ondisk(config, file, GIT_CONFIG_LEVEL_LOCAL, repo, 0),
        "reading the version store settings")
    }
    try Git.check(git_repository_set_config(repo, config), "reading the version store settings")
  }

  /// Runs `body` with the handle to itself.
  func locked<T>(_ body: () throws(GoldfishError) -> T) throws(GoldfishError) -> T {
    lock.lock()
    defer { lock.unlock() }
    return try body()
  }

  // MARK: names

  static func branchRef(_ name: String) throws(GoldfishError) -> String {
    try validRef("refs/heads/" + name, name: name, kind: "workspace")
  }

  static func tagRef(_ name: String) throws(GoldfishError) -> String {
    try validRef("refs/tags/" + name, name: name, kind: "version")
  }

  private static func validRef(_ ref: String, name: String, kind: String) throws(GoldfishError) -> String {
    var valid: Int32 = 0
    guard !name.isEmpty, !name.hasPrefix("-"), git_reference_name_is_valid(&valid, ref) == 0, valid != 0 else {
      throw GitFailure.invalidName(name, kind: kind)
    }
    return ref
  }

  // MARK: objects (callers hold the lock)

  /// The commit object for `id`, to be freed with git_commit_free.
  func lookupCommit(_ id: CommitID) throws(GoldfishError) -> OpaquePointer {
    var oid = Git.oid(id)
    var commit: OpaquePointer?
    let rc = git_commit_lookup(&commit, handle, &oid)
    if rc == Git.notFound || rc == GIT_EINVALIDSPEC.rawValue { throw GitFailure.commitNotFound(id) }
    try Git.check(rc, "reading the saved state \(id.short)")
    guard let commit else { throw GitFailure.commitNotFound(id) }
    return commit
  }

  /// The root tree of a commit read through `repo` (this handle or a scratch one), to be freed with
  /// git_tree_free; nil for nil.
  func lookupTree(_ id: CommitID?, in repo: OpaquePointer) throws(GoldfishError) -> OpaquePointer? {
    guard let id else { return nil }
    var oid = Git.oid(id)
    var commit: OpaquePointer?
    let rc = git_commit_lookup(&commit, repo, &oid)
    if rc == Git.notFound { throw GitFailure.commitNotFound(id) }
    try Git.check(rc, "reading the saved state \(id.short)")
    defer { git_commit_free(commit) }
    var tree: OpaquePointer?
    try Git.check(git_commit_tree(&tree, commit), "reading the files of \(id.short)")
    return tree
  }

  /// The id a reference points at (peeled to a commit), or nil when it does not exist.
  func resolve(_ ref: String) throws(GoldfishError) -> CommitID? {
    var reference: OpaquePointer?
    let rc = git_reference_lookup(&reference, handle, ref)
    if rc == Git.notFound { return nil }
    try Git.check(rc, "reading '\(ref)'")
    defer { git_reference_free(reference) }
    var object: OpaquePointer?
    try Git.check(git_reference_peel(&object, reference, GIT_OBJECT_COMMIT), "reading '\(ref)'")
    defer { git_object_free(object) }
    return CommitID(git_object_id(object).pointee)
  }
}
