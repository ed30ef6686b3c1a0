import Foundation
import Testing

@testable import GoldfishTestSupport
@testable import Host

@Suite("Git layer: concurrent saves")
struct GitConcurrencyTests {
  @Test("a workspace moved by another writer mid-save is a retryable version_conflict; the store stays intact")
  func casConflict() throws {
    let f = try GitFixture()
    try f.write("a.txt", "1")
    let first = try f.commit()

    // Another process (another handle on the same store) saves between our read and our move.
    let other = try GitRepository.open(at: f.repoPath)
    let otherFolder = f.base + "/other"
    try f.write("a.txt", "from the other writer", in: otherFolder)
    nonisolated(unsafe) var theirs: CommitResult?
    f.repo.beforeBranchMove = {
      theirs = try? other.commitDirectory(
        otherFolder, branch: "goldfish/exp", message: "theirs", ignore: .standard, maxFileBytes: nil, excluding: [])
    }
    try f.write("a.txt", "mine")
    let error = goldfishError { try f.commit(message: "mine") }
    f.repo.beforeBranchMove = nil

    #expect(error?.code == .versionConflict)
    #expect(error?.detail["retryable"] == .bool(true))
    #expect(error?.message.contains("workspace 'exp'") == true)
    let head = try #require(try f.repo.branchHead("goldfish/exp"))
    #expect(head == theirs?.commit)
    #expect(try f.repo.commitInfo(head).parents == [first.commit])
    #expect(try f.repo.readFile(at: "a.txt", in: head) == Data("from the other writer".utf8))

    // A retry succeeds on top of the other writer's state.
    let retried = try f.commit(message: "mine")
    #expect(retried.changed)
    #expect(try f.repo.commitInfo(retried.commit).parents == [head])
  }

  @Test("creating a workspace that another writer creates first is a version_conflict too")
  func rootConflict() throws {
    let f = try GitFixture()
    let other = try GitRepository.open(at: f.repoPath)
    let otherFolder = f.base + "/other"
    try f.write("b.txt", "theirs", in: otherFolder)
    f.repo.beforeBranchMove = {
      _ = try? other.commitDirectory(
        otherFolder, branch: "goldfish/exp", message: "theirs", ignore: .standard, maxFileBytes: nil, excluding: [])
    }
    try f.write("a.txt", "mine")
    let error = goldfishError { try f.commit() }
    f.repo.beforeBranchMove = nil
    #expect(error?.code == .versionConflict)
    let head = try #require(try f.repo.branchHead("goldfish/exp"))
    #expect(try f.repo.readFile(at: "b.txt", in: head) != nil)
  }

  @Test("two writers on separate handles: each save succeeds or conflicts, and history stays linear and readable")
  func racingHandles() async throws {
    let f = try GitFixture()
    try f.write("seed.txt", "seed")
    try f.commit()
    let path = f.repoPath
    let base = f.base
    let outcomes = try await withThrowingTaskGroup(of: [String].self) { group in
      for writer in 0..<2 {
        group.addTask {
          let repo = try GitRepository.open(at: path)
          let folder = base + "/writer\(writer)"
          var outcomes: [String] = []
          for round in 0..<25 {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try "writer \(writer) round \(round)".write(toFile: folder + "/w.txt", atomically: false, encoding: .utf8)
            do {
              let result = try repo.commitDirectory(
                folder, branch: "goldfish/exp", message: "w\(writer) r\(round)", ignore: .standard,
                maxFileBytes: nil, excluding: [])
              outcomes.append(result.changed ? "saved" : "same")
            } catch let error as GoldfishError where error.code == .versionConflict {
              outcomes.append("conflict")
            }
          }
          return outcomes
        }
      }
      var all: [String] = []
      for try await outcome in group { all += outcome }
      return all
    }
    #expect(outcomes.count == 50)
    #expect(outcomes.allSatisfy { ["saved", "same", "conflict"].contains($0) })

    // Reopen from scratch: every saved state on the line is readable and parent-linked.
    let fresh = try GitRepository.open(at: f.repoPath)
    let history = try fresh.log(branch: "goldfish/exp", limit: 1000)
    #expect(history.count == outcomes.filter { $0 == "saved" }.count + 1)
    for (newer, older) in zip(history, history.dropFirst()) {
      #expect(newer.parents == [older.id])
      #expect(try fresh.readFile(at: "w.txt", in: newer.id) != nil)
    }
  }

  @Test("two threads sharing one handle are serialised: both always succeed")
  func sharedHandle() async throws {
    let f = try GitFixture()
    let repo = f.repo
    let base = f.base
    try await withThrowingTaskGroup(of: Void.self) { group in
      for writer in 0..<2 {
        group.addTask {
          let folder = base + "/shared\(writer)"
          for round in 0..<20 {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try "\(writer)-\(round)".write(toFile: folder + "/f.txt", atomically: false, encoding: .utf8)
            _ = try repo.commitDirectory(
              folder, branch: "goldfish/shared", message: "s", ignore: .standard, maxFileBytes: nil, excluding: [])
            _ = try repo.tags(prefix: "x")
          }
        }
      }
      try await group.waitForAll()
    }
    #expect(try repo.log(branch: "goldfish/shared", limit: 100).count == 40)
  }
}
