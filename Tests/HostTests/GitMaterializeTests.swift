import CGit2
import Foundation
import Host
import Testing

@testable import GoldfishTestSupport

@Suite("Git layer: writing a state into a folder")
struct GitMaterializeTests {
  @Test("round trip: nested folders, executable bit, links, exact contents")
  func roundTrip() throws {
    let f = try GitFixture()
    try f.write("train.py", "print(1)\n")
    try f.write("scripts/run.sh", "#!/bin/sh\necho hi\n", executable: true)
    try f.write("a/b/c/deep.txt", "deep")
    try f.writeData("weights.bin", Data([0, 1, 2, 255]))
    try FileManager.default.createSymbolicLink(atPath: f.work + "/a/link", withDestinationPath: "b/c/deep.txt")
    let saved = try f.commit()

    let slot = f.base + "/slots/w1"  // parents are created too
    try f.repo.materialize(saved.commit, into: slot, preserving: [])
    #expect(GitFixture.snapshot(slot) == GitFixture.snapshot(f.work))
    #expect(GitFixture.isExecutable(slot + "/scripts/run.sh"))
    #expect(!GitFixture.isExecutable(slot + "/train.py"))
    #expect(try Data(contentsOf: URL(fileURLWithPath: slot + "/weights.bin")) == Data([0, 1, 2, 255]))
    #expect(!FileManager.default.fileExists(atPath: slot + "/.git"))

    // Saving the materialized copy gives the very same state.
    #expect(try !f.commit(from: slot).changed)
  }

  @Test("extra files and emptied folders go, preserved top-level names stay untouched")
  func replaceAndPreserve() throws {
    let f = try GitFixture()
    try f.write("keep.txt", "v1")
    try f.write("STATE.md", "from the store")
    let saved = try f.commit(excluding: [])  // the state holds a STATE.md: preserved wins over it

    let slot = f.base + "/w1"
    try f.write("keep.txt", "local edit", in: slot)
    try f.write("extra.txt", "x", in: slot)
    try f.write("old/nested/file.txt", "x", in: slot)
    try f.write(".goldfish-mount", "{\"workspace\":\"exp\"}", in: slot)
    try f.write("STATE.md", "local journal", in: slot)
    try f.write("sub/.goldfish-mount", "not top level", in: slot)
    let journal = try #require(
      try FileManager.default.attributesOfItem(atPath: slot + "/STATE.md")[.systemFileNumber] as? Int)

    try f.repo.materialize(saved.commit, into: slot, preserving: [".goldfish-mount", "STATE.md"])
    #expect(
      GitFixture.snapshot(slot) == [
        "keep.txt": "v1", ".goldfish-mount": "{\"workspace\":\"exp\"}", "STATE.md": "local journal",
      ])
    // The very same file (an editor holding it open keeps writing to the slot's copy).
    #expect(try FileManager.default.attributesOfItem(atPath: slot + "/STATE.md")[.systemFileNumber] as? Int == journal)
    #expect(try FileManager.default.contentsOfDirectory(atPath: f.base).allSatisfy { !$0.contains("goldfish-") })
  }

  @Test("a failure while writing leaves the folder exactly as it was")
  func failureLeavesFolder() throws {
    let f = try GitFixture()
    try f.write("a.txt", "one")
    let first = try f.commit()
    try f.write("b/new.txt", "a blob that will go missing")
    try f.write("a.txt", "two")
    let second = try f.commit()

    let slot = f.base + "/w1"
    try f.repo.materialize(first.commit, into: slot, preserving: [".goldfish-mount"])
    try f.write(".goldfish-mount", "{}", in: slot)
    try f.write("scratch.txt", "unsaved work", in: slot)
    let before = GitFixture.snapshot(slot)

    // Damage the store: the new file's content disappears.
    var oid = git_oid()
    let content = "a blob that will go missing"
    #expect(git_odb_hash(&oid, content, content.utf8.count, GIT_OBJECT_BLOB) == 0)
    let hex = String(cString: git_oid_tostr_s(&oid))
    try FileManager.default.removeItem(atPath: f.repoPath + "/objects/\(hex.prefix(2))/\(hex.dropFirst(2))")

    let error = goldfishError { try f.repo.materialize(second.commit, into: slot, preserving: [".goldfish-mount"]) }
    #expect(error != nil)
    #expect(error?.detail["internal"] != nil)
    #expect(GitFixture.snapshot(slot) == before)
    #expect(try FileManager.default.contentsOfDirectory(atPath: f.base).allSatisfy { !$0.contains("goldfish-") })
  }

  @Test("stored names that would escape the folder are refused and nothing is written")
  func unsafeNames() throws {
    let f = try GitFixture()
    try f.write("ok.txt", "fine")
    let saved = try f.commit()
    let slot = f.base + "/w1"
    try f.repo.materialize(saved.commit, into: slot, preserving: [])
    let before = GitFixture.snapshot(slot)

    for (name, mode, content) in [
      ("..", "100644", "x"), ("evil", "120000", "../../etc/passwd"), ("abs", "120000", "/etc"),
    ] {
      let crafted = try craftCommit(f.repoPath, name: name, mode: mode, content: content)
      let error = goldfishError { try f.repo.materialize(crafted, into: slot, preserving: []) }
      #expect(error?.code == .unsafePath, "\(name)")
      #expect(GitFixture.snapshot(slot) == before)
    }
  }

  @Test("the target must be a folder")
  func targetIsFile() throws {
    let f = try GitFixture()
    try f.write("a", "a")
    let saved = try f.commit()
    try f.write("file", "x", in: f.base)
    #expect(
      goldfishError { try f.repo.materialize(saved.commit, into: f.base + "/file", preserving: []) }?.code
        == .invalidArgument)
  }

  /// A commit whose tree holds one entry with a name or link git itself would never write,
  /// built object by object as a hostile or damaged store could hold it.
  func craftCommit(_ repoPath: String, name: String, mode: String, content: String) throws -> CommitID {
    var repo: OpaquePointer?
    #expect(git_repository_open(&repo, repoPath) == 0)
    defer { git_repository_free(repo) }
    var odb: OpaquePointer?
    #expect(git_repository_odb(&odb, repo) == 0)
    defer { git_odb_free(odb) }
    var blob = git_oid()
    #expect(git_odb_write(&blob, odb, content, content.utf8.count, GIT_OBJECT_BLOB) == 0)
    var raw = Data("\(mode) \(name)\0".utf8)
    withUnsafeBytes(of: &blob) { raw.append(contentsOf: $0.prefix(20)) }
    var tree = git_oid()
    let written = raw.withUnsafeBytes { git_odb_write(&tree, odb, $0.baseAddress, raw.count, GIT_OBJECT_TREE) }
    #expect(written == 0)
    let text =
      "tree \(String(cString: git_oid_tostr_s(&tree)))\nauthor x <x@x> 0 +0000\ncommitter x <x@x> 0 +0000\n\nx\n"
    var commit = git_oid()
    #expect(git_odb_write(&commit, odb, text, text.utf8.count, GIT_OBJECT_COMMIT) == 0)
    return try #require(CommitID(hex: String(cString: git_oid_tostr_s(&commit))))
  }
}
