import CGit2
import Foundation
import PluginKit

/// The versions repository as one git bundle (v2): a header naming every branch and tag and the
/// commit each points at, then one pack of every object they reach. `git clone <file>` reads it
/// too. Written and read with libgit2, like every other use of the repository.
enum RepositoryBundle {
  static let signature = "# v2 git bundle\n"

  /// Writes the bundle of `repository` to `path`.
  static func write(_ repository: GitRepository, to path: String) throws(GoldfishError) {
    let (refs, pack) = try repository.locked { () throws(GoldfishError) -> ([(String, String)], [UInt8]) in
      try packEverything(repository.handle)
    }
    var bytes = Array(signature.utf8)
    for (name, id) in refs { bytes += Array("\(id) \(name)\n".utf8) }
    bytes += Array("\n".utf8)
    bytes += pack
    guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
      throw GoldfishError(.ioFailed, "cannot write the versions bundle \(path)")
    }
  }

  private static func packEverything(_ repo: OpaquePointer) throws(GoldfishError) -> ([(String, String)], [UInt8]) {
    var refs: [(String, String)] = []
    var iterator: OpaquePointer?
    try Git.check(git_reference_iterator_new(&iterator, repo), "listing the versions")
    defer { git_reference_iterator_free(iterator) }
    var packer: OpaquePointer?
    try Git.check(git_packbuilder_new(&packer, repo), "packing the versions")
    defer { git_packbuilder_free(packer) }
    var walk: OpaquePointer?
    try Git.check(git_revwalk_new(&walk, repo), "walking the versions")
    defer { git_revwalk_free(walk) }
    while true {
      var reference: OpaquePointer?
      let rc = git_reference_next(&reference, iterator)
      if rc == GIT_ITEROVER.rawValue { break }
      try Git.check(rc, "listing the versions")
      defer { git_reference_free(reference) }
      guard git_reference_type(reference) == GIT_REFERENCE_DIRECT, let target = git_reference_target(reference) else {
        continue
      }
      let name = String(cString: git_reference_name(reference))
      guard name.hasPrefix("refs/heads/") || name.hasPrefix("refs/tags/") else { continue }
      var oid = target.pointee
      refs.append((name, hex(oid)))
      var object: OpaquePointer?
      try Git.check(git_object_lookup(&object, repo, &oid, GIT_OBJECT_ANY), "reading \(name)")
      defer { git_object_free(object) }
      if git_object_type(object) == GIT_OBJECT_TAG {
        try Git.check(git_packbuilder_insert(packer, &oid, nil), "packing \(name)")
      }
      var peeled: OpaquePointer?
      try Git.check(git_reference_peel(&peeled, reference, GIT_OBJECT_COMMIT), "reading \(name)")
      defer { git_object_free(peeled) }
      var commit = git_object_id(peeled).pointee
      try Git.check(git_revwalk_push(walk, &commit), "walking \(name)")
    }
    guard !refs.isEmpty else { return ([], []) }
    try Git.check(git_packbuilder_insert_walk(packer, walk), "packing the versions")
    var buffer = git_buf()
    defer { git_buf_dispose(&buffer) }
    try Git.check(git_packbuilder_write_buf(&buffer, packer), "packing the versions")
    let pack = buffer.ptr.map { Array(UnsafeRawBufferPointer(start: $0, count: buffer.size)) } ?? []
    return (refs.sorted { $0.0 < $1.0 }, pack)
  }

  /// Creates a new versions repository at `path` holding exactly what the bundle holds.
  static func restore(_ bundlePath: String, into path: String) throws(GoldfishError) {
    guard let data = FileManager.default.contents(atPath: bundlePath) else {
      throw GoldfishError(.ioFailed, "cannot read the versions bundle \(bundlePath)")
    }
    let bytes = [UInt8](data)
    let (refs, packStart) = try header(bytes, path: bundlePath)
    let repository = try GitRepository.create(at: path)
    try repository.locked { () throws(GoldfishError) in
      if packStart < bytes.count {
        try index(Array(bytes[packStart...]), into: String(cString: git_repository_path(repository.handle)))
      }
      for (name, id) in refs {
        var oid = git_oid()
        try Git.check(git_oid_fromstr(&oid, id), "reading the bundle's \(name)")
        var reference: OpaquePointer?
        try Git.check(git_reference_create(&reference, repository.handle, name, &oid, 1, "goldfish: restore"), name)
        git_reference_free(reference)
      }
    }
  }

  private static func header(_ bytes: [UInt8], path: String) throws(GoldfishError) -> ([(String, String)], Int) {
    let invalid = GoldfishError(
      .backupInvalid, "\(path) is not a git bundle of a versions repository",
      hint: "the backup is damaged; restore another one (goldfish backup list)")
    guard bytes.starts(with: Array(signature.utf8)) else { throw invalid }
    var refs: [(String, String)] = []
    var position = signature.utf8.count
    while true {
      guard let end = bytes[position...].firstIndex(of: 10) else { throw invalid }
      if end == position { return (refs, end + 1) }
      let line = String(decoding: bytes[position..<end], as: UTF8.self)
      let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
      guard parts.count == 2, parts[0].count == 40, parts[1].hasPrefix("refs/") else { throw invalid }
      refs.append((parts[1], parts[0]))
      position = end + 1
    }
  }

  private static func index(_ pack: [UInt8], into repositoryPath: String) throws(GoldfishError) {
    var indexer: OpaquePointer?
    try Git.check(git_indexer_new(&indexer, repositoryPath + "objects/pack", 0, nil, nil), "restoring the versions")
    defer { git_indexer_free(indexer) }
    var progress = git_indexer_progress()
    let appended = pack.withUnsafeBytes { raw in git_indexer_append(indexer, raw.baseAddress, raw.count, &progress) }
    try Git.check(appended, "restoring the versions")
    try Git.check(git_indexer_commit(indexer, &progress), "restoring the versions")
  }

  private static func hex(_ oid: git_oid) -> String {
    var oid = oid
    var text = [CChar](repeating: 0, count: 41)
    git_oid_tostr(&text, 41, &oid)
    return String(decoding: text.prefix(40).map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }
}
