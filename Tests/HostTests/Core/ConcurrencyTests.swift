import Foundation
import Testing

@testable import GoldfishTestSupport
@testable import Host

@Suite("several processes on one project")
struct ConcurrencyTests {
  @Test("concurrent checkpoints from separate connections get distinct versions and an intact repository")
  func concurrentCheckpoints() async throws {
    let fixture = try ProjectFixture()
    try fixture.mountedWorkspace()
    let root = fixture.root
    let results = try await withThrowingTaskGroup(of: CheckpointResult.self) { group in
      for index in 0..<8 {
        group.addTask {
          // Each task opens the project anew: its own database connections and repository handle.
          let project = try Project.open(ProjectLocation(root: root))
          try "\(index)\n".write(
            toFile: project.paths.slot("w1") + "/file-\(index).txt", atomically: true, encoding: .utf8)
          return try project.workspaces.checkpoint(slot: "w1", message: "writer \(index)")
        }
      }
      return try await group.reduce(into: []) { $0.append($1) }
    }
    let versions = try fixture.project.workspaces.history("baseline")
    #expect(Set(versions.map(\.version)) == Set(1...versions.count), "versions are v1...vN without gaps")
    #expect(Set(results.filter(\.created).map(\.version)).count == results.filter(\.created).count)
    for version in versions {
      #expect(try fixture.project.repository.tagTarget(version.tag)?.hex == version.sha)
    }
    let final = try #require(versions.last)
    for index in 0..<8 {
      #expect(
        try fixture.project.repository.readFile(at: "file-\(index).txt", in: try CommitID.stored(final.sha)) != nil)
    }
  }

  @Test("checkpoints from several goldfish processes at once")
  func processes() throws {
    let fixture = try ProjectFixture()
    try fixture.mountedWorkspace()
    for index in 0..<4 { try fixture.write("p\(index).txt", "\(index)\n") }
    let group = DispatchGroup()
    let lock = NSLock()
    nonisolated(unsafe) var statuses: [Int32] = []
    for index in 0..<4 {
      group.enter()
      DispatchQueue.global().async {
        let result = Command.goldfish(
          ["workspace", "checkpoint", "w1", "--message", "process \(index)"], cwd: fixture.root)
        lock.withLock { statuses.append(result.status) }
        group.leave()
      }
    }
    group.wait()
    #expect(statuses == [0, 0, 0, 0])
    let versions = try fixture.project.workspaces.history("baseline")
    #expect(versions.count == 1, "one change, however many processes saved it")
  }

  @Test("a stage-run transition is a compare-and-swap: racing events, exactly one wins")
  func stageRunCAS() async throws {
    let fixture = try ProjectFixture()
    let store = fixture.project.store
    for number in 0..<20 {
      let id = "stage-race-\(number)"
      try store.createStageRun(
        StageRunRecord(id: id, workspace: "w", version: 1, pipeline: "p", stage: "s", reason: goodReason))
      try store.transition(id, .buildStart, TransitionContext(source: "test"))
      try store.transition(id, .buildOK, TransitionContext(source: "test"))
      try store.transition(id, .launchOK, TransitionContext(source: "test"))
      let path = fixture.project.paths.database
      async let cancel = Result {
        try ProjectStore.open(path: path).transition(id, .userCancel, TransitionContext(source: "a"))
      }
      async let exit = Result {
        try ProjectStore.open(path: path).transition(id, .exitFailure, TransitionContext(source: "b", exitCode: 1))
      }
      let outcomes = await [cancel, exit]
      let moved = outcomes.filter { if case .success(.moved) = $0 { return true } else { return false } }
      #expect(moved.count == 1, "\(outcomes)")
      let final = try #require(try store.stageRun(id))
      #expect(final.state == .canceled || final.state == .failed)
      #expect(try store.transitions(of: id).count == 5, "created + 3 + exactly one terminal transition")
    }
  }

  @Test("an invalid event is refused and names the state")
  func invalidTransition() throws {
    let fixture = try ProjectFixture()
    let store = fixture.project.store
    try store.createStageRun(
      StageRunRecord(id: "stage-x", workspace: "w", version: 1, pipeline: "p", stage: "s", reason: goodReason))
    do {
      try store.transition("stage-x", .exitSuccess, TransitionContext(source: "test"))
      Issue.record("exit_success from preparing was accepted")
    } catch {
      #expect(error.code == .invalidTransition)
      #expect(error.message.contains("preparing"))
    }
  }
}
