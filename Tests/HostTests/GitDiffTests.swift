import Foundation
import Host
import Testing

@testable import GoldfishTestSupport

@Suite("Git layer: changes and diffs")
struct GitDiffTests {
  /// Two states: v1 {keep, edit, gone, bin}, v2 {keep, edit', new, bin', sub/added}.
  func twoStates() throws -> (GitFixture, CommitID, CommitID) {
    let f = try GitFixture()
    try f.write("keep.txt", "same\n")
    try f.write("edit.txt", "line one\nline two\n")
    try f.write("gone.txt", "bye\n")
    try f.writeData("bin.dat", Data([0, 1, 2, 3]))
    let one = try f.commit().commit
    try f.write("edit.txt", "line one\nline 2\n")
    try f.remove("gone.txt")
    try f.write("new.txt", "hello\n")
    try f.writeData("bin.dat", Data([0, 9, 9, 3]))
    try f.write("sub/added.txt", "deep\n")
    let two = try f.commit().commit
    return (f, one, two)
  }

  let expected = [
    FileChange(path: "bin.dat", status: .modified), FileChange(path: "edit.txt", status: .modified),
    FileChange(path: "gone.txt", status: .deleted), FileChange(path: "new.txt", status: .added),
    FileChange(path: "sub/added.txt", status: .added),
  ]

  @Test("file list between two states, and from nothing")
  func changesBetweenStates() throws {
    let (f, one, two) = try twoStates()
    #expect(try f.repo.changes(from: one, to: two) == expected)
    #expect(try f.repo.changes(from: two, to: two).isEmpty)
    #expect(
      try f.repo.changes(from: nil, to: one).map(\.path) == ["bin.dat", "edit.txt", "gone.txt", "keep.txt"])
    #expect(try f.repo.changes(from: nil, to: one).allSatisfy { $0.status == .added })
  }

  @Test("file list between a state and a folder, honouring ignore rules and exclusions, writing nothing")
  func changesAgainstFolder() throws {
    let (f, one, two) = try twoStates()
    try f.write("STATE.md", "journal")
    try f.write("__pycache__/x.pyc", "junk")
    let objects = f.objectCount
    let changes = try f.repo.changes(
      from: one, toDirectory: f.work, ignore: .standard, excluding: ["STATE.md"])
    #expect(changes == expected)
    #expect(try f.repo.changes(from: two, toDirectory: f.work, ignore: .standard, excluding: ["STATE.md"]).isEmpty)

    try f.write("keep.txt", "same\n", executable: true)
    try f.write("brand-new.txt", "never saved anywhere")
    try f.remove("sub/added.txt")
    #expect(
      try f.repo.changes(from: two, toDirectory: f.work, ignore: .standard, excluding: ["STATE.md"]) == [
        FileChange(path: "brand-new.txt", status: .added), FileChange(path: "keep.txt", status: .modified),
        FileChange(path: "sub/added.txt", status: .deleted),
      ])
    #expect(
      try f.repo.changes(from: nil, toDirectory: f.work, ignore: .standard, excluding: ["STATE.md"]).count == 5)
    _ = try f.repo.unifiedDiff(from: two, toDirectory: f.work, ignore: .standard, excluding: ["STATE.md"])
    #expect(f.objectCount == objects)
  }

  @Test("unified diff between two states: hunks for text, one line for binary files")
  func unifiedBetweenStates() throws {
    let (f, one, two) = try twoStates()
    let diff = try f.repo.unifiedDiff(from: one, to: two)
    #expect(diff.contains("--- a/edit.txt\n+++ b/edit.txt\n"))
    #expect(diff.contains("-line two\n+line 2\n"))
    #expect(diff.contains("+++ b/new.txt\n@@ -0,0 +1 @@\n+hello\n"))
    #expect(diff.contains("--- a/gone.txt\n+++ /dev/null\n"))
    #expect(diff.contains("Binary files a/bin.dat and b/bin.dat differ"))
    #expect(!diff.contains("keep.txt"))
    #expect(try f.repo.unifiedDiff(from: two, to: two).isEmpty)
  }

  @Test("unified diff between a state and a folder matches the one between states")
  func unifiedAgainstFolder() throws {
    let (f, one, two) = try twoStates()
    let folder = try f.repo.unifiedDiff(from: one, toDirectory: f.work, ignore: .standard, excluding: [])
    #expect(folder == (try f.repo.unifiedDiff(from: one, to: two)))
    try f.write("edit.txt", "line one\nline 2\nline three\n")
    let edited = try f.repo.unifiedDiff(from: two, toDirectory: f.work, ignore: .standard, excluding: [])
    #expect(edited.contains("+line three\n"))
    #expect(edited.hasPrefix("diff --git a/edit.txt b/edit.txt\n"))

    try f.write("sub/added.txt", "deep\n", executable: true)
    try f.writeData("new.bin", Data([0, 0, 1]))
    let more = try f.repo.unifiedDiff(from: two, toDirectory: f.work, ignore: .standard, excluding: [])
    #expect(more.contains("diff --git a/sub/added.txt b/sub/added.txt\nold mode 100644\nnew mode 100755\n"))
    #expect(more.contains("Binary files /dev/null and b/new.bin differ"))
  }
}
