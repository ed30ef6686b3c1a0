import CGit2
import Foundation

extension GitRepository {
  /// Makes `directory` hold exactly the commit's files. They are first written into a staging
  /// folder beside it, which then takes the folder's place by rename, so a failure midway
  /// leaves the folder as it was. Top-level names in `preserving` are carried over.
  public func materialize(_ commit: CommitID, into directory: String, preserving: Set<String>) throws(GoldfishError) {
    try withLock { () throws(GoldfishError) in
      let parent = (directory as NSString).deletingLastPathComponent
      let name = (directory as NSString).lastPathComponent
      let staging = parent + "/.\(name).staging-\(getpid())"
      let manager = FileManager.default
      do {
        try manager.createDirectory(atPath: parent, withIntermediateDirectories: true)
        try? manager.removeItem(atPath: staging)
        try manager.createDirectory(atPath: staging, withIntermediateDirectories: false)
      } catch {
        throw GoldfishError(.ioFailed, "cannot prepare \(directory): \(error.localizedDescription)")
      }
      do {
        try write(tree: try treeOf(commit), into: staging)
        for kept in preserving where manager.fileExists(atPath: directory + "/" + kept) {
          try? manager.removeItem(atPath: staging + "/" + kept)
          try manager.copyItem(atPath: directory + "/" + kept, toPath: staging + "/" + kept)
        }
      } catch {
        try? manager.removeItem(atPath: staging)
        if let error = error as? GoldfishError { throw error }
        throw GoldfishError(.ioFailed, "cannot write the files of \(directory): \(error.localizedDescription)")
      }
      let old = parent + "/.\(name).old-\(getpid())"
      let hadFolder = manager.fileExists(atPath: directory)
      if hadFolder && rename(directory, old) != 0 {
        try? manager.removeItem(atPath: staging)
        throw GoldfishError(.ioFailed, "cannot replace \(directory): \(String(cString: strerror(errno)))")
      }
      guard rename(staging, directory) == 0 else {
        let reason = String(cString: strerror(errno))
        if hadFolder { rename(old, directory) }
        try? manager.removeItem(atPath: staging)
        throw GoldfishError(.ioFailed, "cannot replace \(directory): \(reason)")
      }
      if hadFolder {
        ReadOnly.undo(old)
        try? manager.removeItem(atPath: old)
      }
    }
  }

  private func write(tree: CommitID, into folder: String) throws(GoldfishError) {
    var oid = try Git.oid(tree)
    var object: OpaquePointer?
    try Git.check(git_tree_lookup(&object, repository, &oid), "read saved files")
    defer { git_tree_free(object) }
    for index in 0..<git_tree_entrycount(object) {
      guard let entry = git_tree_entry_byindex(object, index), let rawName = git_tree_entry_name(entry) else { continue }
      let name = String(cString: rawName)
      guard !name.isEmpty, name != ".", name != "..", !name.contains("/") else {
        throw GoldfishError(.unsafePath, "a saved file has an unsafe name: \(name.debugDescription)")
      }
      let path = folder + "/" + name
      let id = Git.commitID(git_tree_entry_id(entry).pointee)
      let mode = git_tree_entry_filemode(entry).rawValue
      if mode == Git.treeMode {
        guard mkdir(path, 0o755) == 0 else { throw GoldfishError(.ioFailed, "cannot create \(path)") }
        try write(tree: id, into: path)
        continue
      }
      var blobID = git_tree_entry_id(entry).pointee
      var blob: OpaquePointer?
      try Git.check(git_blob_lookup(&blob, repository, &blobID), "read \(name)")
      defer { git_blob_free(blob) }
      let size = Int(git_blob_rawsize(blob))
      let bytes = git_blob_rawcontent(blob)
      if mode == Git.linkMode {
        let target = String(decoding: UnsafeRawBufferPointer(start: bytes, count: size), as: UTF8.self)
        guard symlink(target, path) == 0 else { throw GoldfishError(.ioFailed, "cannot create the link \(path)") }
        continue
      }
      let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode == Git.executableMode ? 0o755 : 0o644)
      guard fd >= 0 else { throw GoldfishError(.ioFailed, "cannot create \(path): \(String(cString: strerror(errno)))") }
      defer { close(fd) }
      var offset = 0
      while offset < size {
        let written = Glibc.write(fd, bytes! + offset, size - offset)
        if written < 0 {
          if errno == EINTR { continue }
          throw GoldfishError(.ioFailed, "cannot write \(path): \(String(cString: strerror(errno)))")
        }
        offset += written
      }
    }
  }

  // MARK: comparing

  public func changes(from old: CommitID?, to new: CommitID) throws(GoldfishError) -> [FileChange] {
    try withLock { () throws(GoldfishError) -> [FileChange] in
      try deltas(old.map { c throws(GoldfishError) in try treeOf(c) }, try treeOf(new))
    }
  }

  public func changes(from old: CommitID?, toDirectory directory: String, ignore: IgnoreRules, excluding: Set<String>)
    throws(GoldfishError) -> [FileChange]
  {
    try withLock { () throws(GoldfishError) -> [FileChange] in
      let tree = Git.commitID(try DirectorySnapshot(repository: repository).writeTree(directory, ignore: ignore, excluding: excluding))
      return try deltas(old.map { c throws(GoldfishError) in try treeOf(c) }, tree)
    }
  }

  public func unifiedDiff(from old: CommitID?, to new: CommitID) throws(GoldfishError) -> String {
    try withLock { () throws(GoldfishError) -> String in
      try patch(old.map { c throws(GoldfishError) in try treeOf(c) }, try treeOf(new))
    }
  }

  public func unifiedDiff(from old: CommitID?, toDirectory directory: String, ignore: IgnoreRules, excluding: Set<String>)
    throws(GoldfishError) -> String
  {
    try withLock { () throws(GoldfishError) -> String in
      let tree = Git.commitID(try DirectorySnapshot(repository: repository).writeTree(directory, ignore: ignore, excluding: excluding))
      return try patch(old.map { c throws(GoldfishError) in try treeOf(c) }, tree)
    }
  }

  /// Runs `body` with a diff of two trees (nil: the empty tree).
  private func withDiff<T>(_ old: CommitID?, _ new: CommitID, _ body: (OpaquePointer?) throws(GoldfishError) -> T)
    throws(GoldfishError) -> T
  {
    var oldTree: OpaquePointer?
    var newTree: OpaquePointer?
    defer {
      git_tree_free(oldTree)
      git_tree_free(newTree)
    }
    if let old {
      var oid = try Git.oid(old)
      try Git.check(git_tree_lookup(&oldTree, repository, &oid), "read saved files")
    }
    var newOID = try Git.oid(new)
    try Git.check(git_tree_lookup(&newTree, repository, &newOID), "read saved files")
    var diff: OpaquePointer?
    try Git.check(git_diff_tree_to_tree(&diff, repository, oldTree, newTree, nil), "compare versions")
    defer { git_diff_free(diff) }
    return try body(diff)
  }

  private func deltas(_ old: CommitID?, _ new: CommitID) throws(GoldfishError) -> [FileChange] {
    try withDiff(old, new) { (diff: OpaquePointer?) throws(GoldfishError) -> [FileChange] in
      (0..<git_diff_num_deltas(diff)).compactMap { index -> FileChange? in
        guard let delta = git_diff_get_delta(diff, index) else { return nil }
        let status: FileChange.Status
        switch delta.pointee.status {
        case GIT_DELTA_ADDED: status = .added
        case GIT_DELTA_DELETED: status = .deleted
        default: status = .modified
        }
        let file = status == .deleted ? delta.pointee.old_file : delta.pointee.new_file
        return file.path.map { FileChange(path: String(cString: $0), status: status) }
      }
    }
  }

  private func patch(_ old: CommitID?, _ new: CommitID) throws(GoldfishError) -> String {
    try withDiff(old, new) { (diff: OpaquePointer?) throws(GoldfishError) -> String in
      var buffer = git_buf()
      try Git.check(git_diff_to_buf(&buffer, diff, GIT_DIFF_FORMAT_PATCH), "compare versions")
      defer { git_buf_dispose(&buffer) }
      guard let pointer = buffer.ptr else { return "" }
      return String(decoding: UnsafeRawBufferPointer(start: pointer, count: buffer.size), as: UTF8.self)
    }
  }
}
