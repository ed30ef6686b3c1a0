import CGit2
import Foundation
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// Editors and `write(atomically:)` create temporary files that are renamed away moments later; a save
/// that listed one must not fail because it is gone by the time its bytes are read.
@Suite("Git layer: files that vanish during a save")
struct GitVanishingFileTests {
  @Test("a file or folder deleted between the scan and the write is left out, with or without a base")
  func vanishedEntriesAreLeftOut() throws {
    let f = try GitFixture("vanish")
    try f.write("keep.txt", "kept\n")
    try f.write("known.txt", "in the base\n")
    let first = try f.commit()

    try f.write(".dat.nosyncA1", "temporary\n")  // new: would be streamed into the store
    try f.write("gone/inner.txt", "temporary\n")
    let scanner = try DirectoryScanner(root: f.work, ignore: .standard, excluding: [], maxFileBytes: nil)
    let entries = try scanner.scan()
    #expect(entries.map(\.name).contains(".dat.nosyncA1"))
    try f.remove(".dat.nosyncA1")
    try f.remove("known.txt")  // in the base: would be hashed against it
    try f.remove("gone")

    let base = try f.repo.lookupTree(first.commit, in: f.repo.handle)
    defer { git_tree_free(base) }
    var root = try TreeWriter(repo: f.repo.handle, mode: .store).writeRoot(
      entries, directory: scanner.root, base: base)
    var tree: OpaquePointer?
    #expect(git_tree_lookup(&tree, f.repo.handle, &root) == 0)
    defer { git_tree_free(tree) }
    let names = (0..<git_tree_entrycount(tree)).map {
      String(cString: git_tree_entry_name(git_tree_entry_byindex(tree, $0)))
    }
    #expect(names == ["keep.txt"])
  }

  @Test("a file replaced while it is read is still refused as changed, retryably")
  func replacedFileIsRefused() throws {
    let f = try GitFixture("vanish-replaced")
    try f.write("counter.txt", "1\n")
    let scanner = try DirectoryScanner(root: f.work, ignore: .standard, excluding: [], maxFileBytes: nil)
    let entries = try scanner.scan()
    try f.write("counter.txt", "12\n")
    let error = goldfishError {
      _ = try TreeWriter(repo: f.repo.handle, mode: .store).writeRoot(entries, directory: scanner.root, base: nil)
    }
    #expect(error?.message.contains("changed while the workspace was being saved") == true)
    #expect(error?.detail["retryable"] == .bool(true))
  }
}
