import Foundation
import Host
import Testing

@testable import GoldfishTestSupport

@Suite("Git layer: workspaces, versions, history")
struct GitRefsTests {
  @Test("the store is created once and reopened; a missing store is a clear error")
  func createAndOpen() throws {
    let f = try GitFixture()
    #expect(goldfishError { _ = try GitRepository.create(at: f.repoPath) }?.code == .versionStoreExists)
    #expect(goldfishError { _ = try GitRepository.create(at: f.work) }?.code == .versionStoreExists)
    let missing = goldfishError { _ = try GitRepository.open(at: f.base + "/none.git") }
    #expect(missing?.code == .versionStoreNotFound)
    try f.write("a", "a")
    let saved = try f.commit()
    #expect(try GitRepository.open(at: f.repoPath).branchHead("goldfish/exp") == saved.commit)
    #expect(!FileManager.default.fileExists(atPath: f.repoPath + "/index"))  // bare: no working files
  }

  @Test("workspaces: create at a state, refuse a duplicate, delete idempotently")
  func branches() throws {
    let f = try GitFixture()
    try f.write("a", "a")
    let main = try f.commit("main")
    try f.repo.createBranch("goldfish/fork", at: main.commit)
    #expect(try f.repo.branchHead("goldfish/fork") == main.commit)

    let duplicate = goldfishError { try f.repo.createBranch("goldfish/fork", at: main.commit) }
    #expect(duplicate?.code == .branchExists)
    #expect(duplicate?.message.contains("workspace 'fork'") == true)

    try f.repo.deleteBranch("goldfish/fork")
    try f.repo.deleteBranch("goldfish/fork")
    #expect(try f.repo.branchHead("goldfish/fork") == nil)
    #expect(try f.repo.branchHead("main") == main.commit)

    let unknown = try #require(CommitID(hex: String(repeating: "ab", count: 20)))
    #expect(goldfishError { try f.repo.createBranch("goldfish/x", at: unknown) }?.code == .commitNotFound)
    #expect(goldfishError { try f.repo.createBranch("bad..name", at: main.commit) }?.code == .invalidArgument)
    #expect(goldfishError { _ = try f.repo.branchHead("-x") }?.code == .invalidArgument)
  }

  @Test("versions: tagging is idempotent on the same state and refused on another")
  func tags() throws {
    let f = try GitFixture()
    try f.write("a", "1")
    let one = try f.commit()
    try f.write("a", "2")
    let two = try f.commit()

    try f.repo.createTag("exp-v1", at: one.commit)
    try f.repo.createTag("exp-v1", at: one.commit)
    let moved = goldfishError { try f.repo.createTag("exp-v1", at: two.commit) }
    #expect(moved?.code == .tagExists)
    #expect(moved?.message.contains("version 'exp-v1'") == true)
    #expect(try f.repo.tagTarget("exp-v1") == one.commit)

    try f.repo.createTag("exp-v2", at: two.commit)
    try f.repo.createTag("exp-v10", at: two.commit)
    try f.repo.createTag("other-v1", at: two.commit)
    #expect(try f.repo.tags(prefix: "exp-v") == ["exp-v1", "exp-v10", "exp-v2"])
    #expect(try f.repo.tags(prefix: "") == ["exp-v1", "exp-v10", "exp-v2", "other-v1"])

    try f.repo.deleteTag("exp-v10")
    try f.repo.deleteTag("exp-v10")
    #expect(try f.repo.tagTarget("exp-v10") == nil)
    #expect(try f.repo.tags(prefix: "exp-") == ["exp-v1", "exp-v2"])
  }

  @Test("history is newest first, follows parents and honours the limit")
  func history() throws {
    let f = try GitFixture()
    var saved: [CommitID] = []
    for round in 0..<4 {
      try f.write("a", "\(round)")
      saved.append(try f.commit(message: "round \(round)").commit)
    }
    let log = try f.repo.log(branch: "goldfish/exp", limit: 10)
    #expect(log.map(\.id) == saved.reversed())
    #expect(log.map(\.message) == ["round 3", "round 2", "round 1", "round 0"])
    #expect(log[0].parents == [saved[2]])
    #expect(try f.repo.log(branch: "goldfish/exp", limit: 2).map(\.id) == [saved[3], saved[2]])
    let missing = goldfishError { _ = try f.repo.log(branch: "goldfish/nope", limit: 5) }
    #expect(missing?.code == .branchNotFound)
    #expect(missing?.message.contains("workspace 'nope'") == true)
  }

  @Test("reading one file of a state")
  func readFile() throws {
    let f = try GitFixture()
    try f.write("dir/file.txt", "content")
    let saved = try f.commit()
    #expect(try f.repo.readFile(at: "dir/file.txt", in: saved.commit) == Data("content".utf8))
    #expect(try f.repo.readFile(at: "dir", in: saved.commit) == nil)
    #expect(try f.repo.readFile(at: "nope.txt", in: saved.commit) == nil)
    #expect(goldfishError { _ = try f.repo.readFile(at: "../x", in: saved.commit) }?.code == .unsafePath)
    #expect(goldfishError { _ = try f.repo.readFile(at: "/etc/passwd", in: saved.commit) }?.code == .unsafePath)
    let unknown = try #require(CommitID(hex: String(repeating: "0", count: 40)))
    #expect(goldfishError { _ = try f.repo.commitInfo(unknown) }?.code == .commitNotFound)
  }

  @Test("ids are 40 hex digits, encoded as a bare string")
  func commitIDs() throws {
    #expect(CommitID(hex: "xyz") == nil)
    #expect(CommitID(hex: String(repeating: "A", count: 40))?.hex == String(repeating: "a", count: 40))
    let id = try #require(CommitID(hex: String(repeating: "1f", count: 20)))
    let json = try JSONEncoder().encode([id])
    #expect(String(decoding: json, as: UTF8.self) == "[\"\(id.hex)\"]")
    #expect(try JSONDecoder().decode([CommitID].self, from: json) == [id])
  }

  @Test("no git vocabulary reaches a user")
  func wording() throws {
    let f = try GitFixture()
    try f.write("a", "a")
    let saved = try f.commit()
    try f.repo.createTag("exp-v1", at: saved.commit)
    try f.writeData("big", Data(count: 10))
    var errors: [GoldfishError?] = [
      goldfishError { try f.commit(maxFileBytes: 5) },
      goldfishError { try f.repo.createBranch("goldfish/exp", at: saved.commit) },
      goldfishError { try f.repo.createTag("exp-v1", at: try f.commit().commit) },
      goldfishError { _ = try f.repo.log(branch: "goldfish/none", limit: 1) },
      goldfishError { _ = try GitRepository.open(at: f.base + "/missing") },
    ]
    errors.append(goldfishError { _ = try f.repo.commitInfo(CommitID(hex: String(repeating: "0", count: 40))!) })
    for error in errors {
      let error = try #require(error)
      let text = (error.message + " " + (error.hint ?? "")).lowercased()
      for word in ["branch", "refs/", "libgit2", "odb", "commit", "sha", "tag "] {
        #expect(!text.contains(word), "\(error.code): \(text)")
      }
    }
  }
}
