import CGit2
import Foundation

/// Turns a folder into a tree in the version store: files as blobs (streamed from disk),
/// symlinks that stay inside the folder as links, folders as trees; ignored and excluded
/// paths left out; entries in a fixed order so the same files always give the same tree.
struct DirectorySnapshot {
  let repository: OpaquePointer

  struct Entry {
    var name: String
    var relative: String
    var kind: Kind
    var size: Int64
    var executable: Bool
    enum Kind { case file, directory, link(String) }
  }

  /// The entries of one folder that a version holds.
  static func entries(_ root: String, _ relative: String, ignore: IgnoreRules, excluding: Set<String>) -> [Entry] {
    let folder = relative.isEmpty ? root : root + "/" + relative
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
    var result: [Entry] = []
    for name in names.sorted() {
      let path = relative.isEmpty ? name : relative + "/" + name
      if excluding.contains(path) { continue }
      var info = stat()
      guard lstat(folder + "/" + name, &info) == 0 else { continue }
      switch info.st_mode & S_IFMT {
      case S_IFDIR:
        if ignore.isIgnored(path, isDirectory: true) { continue }
        result.append(Entry(name: name, relative: path, kind: .directory, size: 0, executable: false))
      case S_IFREG:
        if ignore.isIgnored(path, isDirectory: false) { continue }
        result.append(
          Entry(name: name, relative: path, kind: .file, size: Int64(info.st_size), executable: info.st_mode & 0o111 != 0))
      case S_IFLNK:
        if ignore.isIgnored(path, isDirectory: false) { continue }
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: folder + "/" + name),
          staysInside(target, from: relative)
        else { continue }
        result.append(Entry(name: name, relative: path, kind: .link(target), size: 0, executable: false))
      default:
        continue
      }
    }
    return result
  }

  /// A link is kept only when it points inside the folder, so a version never captures
  /// (or later recreates) a way out of its workspace.
  static func staysInside(_ target: String, from relative: String) -> Bool {
    if target.hasPrefix("/") { return false }
    var depth = relative.split(separator: "/").count
    for part in target.split(separator: "/") {
      if part == ".." { depth -= 1 } else if part != "." { depth += 1 }
      if depth < 0 { return false }
    }
    return true
  }

  /// Refuses the save before anything is written when a file is over the limit.
  static func checkSizes(_ root: String, ignore: IgnoreRules, excluding: Set<String>, maxFileBytes: Int64?)
    throws(GoldfishError)
  {
    guard let limit = maxFileBytes else { return }
    var pending = [""]
    while let relative = pending.popLast() {
      for entry in entries(root, relative, ignore: ignore, excluding: excluding) {
        switch entry.kind {
        case .directory: pending.append(entry.relative)
        case .file where entry.size > limit:
          throw GoldfishError(
            .fileTooLarge,
            "\(entry.relative) is \(entry.size >> 20) MiB, over the \(limit >> 20) MiB limit for files in a version",
            hint: "store large data as a source (goldfish source register), add it to .gitignore, "
              + "or raise versioning.max_file_mb in goldfish.yaml",
            detail: ["file": .string(entry.relative), "size_bytes": .int(entry.size), "limit_bytes": .int(limit)])
        default: continue
        }
      }
    }
  }

  func writeTree(_ root: String, ignore: IgnoreRules, excluding: Set<String>, relative: String = "")
    throws(GoldfishError) -> git_oid
  {
    var builder: OpaquePointer?
    try Git.check(git_treebuilder_new(&builder, repository, nil), "save a folder")
    defer { git_treebuilder_free(builder) }
    for entry in Self.entries(root, relative, ignore: ignore, excluding: excluding) {
      var oid = git_oid()
      var mode = Git.blobMode
      switch entry.kind {
      case .directory:
        oid = try writeTree(root, ignore: ignore, excluding: excluding, relative: entry.relative)
        // Git stores no empty folders; neither does a version.
        if isEmptyTree(oid) { continue }
        mode = Git.treeMode
      case .file:
        try Git.check(git_blob_create_from_disk(&oid, repository, root + "/" + entry.relative), "save \(entry.relative)")
        mode = entry.executable ? Git.executableMode : Git.blobMode
      case .link(let target):
        let bytes = Array(target.utf8)
        try Git.check(git_blob_create_from_buffer(&oid, repository, bytes, bytes.count), "save \(entry.relative)")
        mode = Git.linkMode
      }
      try Git.check(
        git_treebuilder_insert(nil, builder, entry.name, &oid, git_filemode_t(rawValue: mode)), "save \(entry.relative)")
    }
    var tree = git_oid()
    try Git.check(git_treebuilder_write(&tree, builder), "save a folder")
    return tree
  }

  private func isEmptyTree(_ oid: git_oid) -> Bool {
    Git.commitID(oid).hex == "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
  }
}
