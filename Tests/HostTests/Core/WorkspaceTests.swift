import Foundation
import Testing

@testable import GoldfishTestSupport
@testable import Host

@Suite("workspaces and versions")
struct WorkspaceTests {
  @Test("create, mount, edit, checkpoint, and nothing-changed checkpoints reuse the version")
  func checkpointFlow() throws {
    let fixture = try ProjectFixture()
    try fixture.mountedWorkspace()
    #expect(fixture.read("modules/README.md") != nil, "the initial files are in the slot")
    #expect(FileManager.default.fileExists(atPath: fixture.slot("w1") + "/.goldfish-mount"))
    #expect(!FileManager.default.fileExists(atPath: fixture.slot("w1") + "/.git"))

    try fixture.write("modules/train.py", "print('v1')\n")
    let first = try fixture.project.workspaces.checkpoint(slot: "w1", message: "first model")
    #expect(first.created && first.version == "v1")
    #expect(first.changes.contains(FileChange(path: "modules/train.py", status: .added)))
    let again = try fixture.project.workspaces.checkpoint(slot: "w1", message: "no change")
    #expect(!again.created && again.version == "v1")

    try fixture.write("modules/train.py", "print('v2')\n")
    let second = try fixture.project.workspaces.checkpoint(slot: "w1", message: "second model")
    #expect(second.version == "v2")
    let history = try fixture.project.workspaces.history("baseline")
    #expect(history.map(\.label) == ["v1", "v2"])
    #expect(try fixture.project.repository.tagTarget("baseline-v2")?.hex == history[1].sha)
  }

  @Test("deleted files are deleted in the next version, ignored files never enter one")
  func deleteSemanticsAndIgnores() throws {
    let fixture = try ProjectFixture()
    try fixture.mountedWorkspace()
    try fixture.write("keep.py", "x = 1\n")
    try fixture.write("gone.py", "y = 2\n")
    try fixture.write("__pycache__/keep.cpython-311.pyc", "bytecode")
    _ = try fixture.project.workspaces.checkpoint(slot: "w1", message: "two files")
    try FileManager.default.removeItem(atPath: fixture.slot("w1") + "/gone.py")
    let result = try fixture.project.workspaces.checkpoint(slot: "w1", message: "one file")
    #expect(result.changes == [FileChange(path: "gone.py", status: .deleted)])
    let sha = try #require(try fixture.project.store.latestVersion(of: "baseline")).sha
    let repository = fixture.project.repository
    #expect(try repository.readFile(at: "gone.py", in: try CommitID.stored(sha)) == nil)
    #expect(try repository.readFile(at: "__pycache__/keep.cpython-311.pyc", in: try CommitID.stored(sha)) == nil)
    #expect(try repository.readFile(at: ".goldfish-mount", in: try CommitID.stored(sha)) == nil)
  }

  @Test("a file over the size limit fails the sync and leaves slot and versions as they were")
  func failedSyncChangesNothing() throws {
    let fixture = try ProjectFixture { root in
      try "project_name: demo\nversioning:\n  max_file_mb: 1\n".write(
        toFile: root + "/goldfish.yaml", atomically: true, encoding: .utf8)
    }
    try fixture.mountedWorkspace()
    try fixture.write("small.py", "ok\n")
    _ = try fixture.project.workspaces.checkpoint(slot: "w1", message: "small")
    let head = try fixture.project.repository.branchHead("goldfish/baseline")
    try fixture.write("small.py", "changed\n")
    let big = Data(repeating: 7, count: 2 << 20)
    try big.write(to: URL(fileURLWithPath: fixture.slot("w1") + "/weights.bin"))
    do {
      _ = try fixture.project.workspaces.checkpoint(slot: "w1", message: "too big")
      Issue.record("a 2 MiB file passed a 1 MiB limit")
    } catch {
      #expect(error.code == .fileTooLarge)
      #expect(error.message.contains("weights.bin"))
      #expect(!error.message.lowercased().contains("git"), "git terms leaked: \(error.message)")
    }
    #expect(try fixture.project.repository.branchHead("goldfish/baseline") == head)
    #expect(try fixture.project.workspaces.history("baseline").count == 1)
    #expect(fixture.read("small.py") == "changed\n", "the slot keeps the user's edits")
    #expect(FileManager.default.fileExists(atPath: fixture.slot("w1") + "/weights.bin"))
  }

  @Test("rollback restores a version and saves unsaved work first")
  func rollback() throws {
    let fixture = try ProjectFixture()
    try fixture.mountedWorkspace()
    try fixture.write("model.py", "lr = 0.1\n")
    _ = try fixture.project.workspaces.checkpoint(slot: "w1", message: "lr 0.1")
    try fixture.write("model.py", "lr = 0.01\n")
    try fixture.write("extra.py", "new\n")
    let result = try fixture.project.workspaces.rollback(slot: "w1", to: 1, reason: goodReason)
    #expect(result.version == "v1")
    #expect(fixture.read("model.py") == "lr = 0.1\n")
    #expect(fixture.read("extra.py") == nil)
    let history = try fixture.project.workspaces.history("baseline")
    #expect(history.count == 2, "the unsaved lr 0.01 work became v2 before the rollback")
    #expect(history.last?.createdBy == "auto_save")
    #expect(try fixture.project.workspaces.slots().first { $0.slot == "w1" }?.dirty == false)
  }

  @Test("hibernate saves and frees the slot; mounting again brings the files back")
  func hibernateAndRemount() throws {
    let fixture = try ProjectFixture()
    try fixture.mountedWorkspace()
    try fixture.write("notes.txt", "hello\n")
    let result = try fixture.project.workspaces.hibernate(slot: "w1", reason: goodReason)
    #expect(result.created && result.version == "v1")
    #expect(!FileManager.default.fileExists(atPath: fixture.slot("w1")))
    #expect(try fixture.project.store.mount(slot: "w1") == nil)
    _ = try fixture.project.workspaces.mount("baseline", slot: "w2", reason: goodReason)
    #expect(fixture.read("notes.txt", slot: "w2") == "hello\n")
  }

  @Test("fork from another workspace at a version")
  func forkFromVersion() throws {
    let fixture = try ProjectFixture()
    try fixture.mountedWorkspace()
    try fixture.write("a.py", "1\n")
    _ = try fixture.project.workspaces.checkpoint(slot: "w1", message: "v1")
    try fixture.write("a.py", "2\n")
    _ = try fixture.project.workspaces.checkpoint(slot: "w1", message: "v2")
    _ = try fixture.project.workspaces.create(
      name: "variant", goal: "try the first idea again", reason: goodReason,
      from: WorkspaceReference(workspace: "baseline", version: 1))
    _ = try fixture.project.workspaces.mount("variant", slot: "w2", reason: goodReason)
    #expect(fixture.read("a.py", slot: "w2") == "1\n")
    let summary = try #require(try fixture.project.workspaces.list().first { $0.name == "variant" })
    #expect(summary.parent == "baseline@v1")
  }

  @Test("diff: slot vs latest, version vs previous, two versions")
  func diffs() throws {
    let fixture = try ProjectFixture()
    try fixture.mountedWorkspace()
    try fixture.write("a.py", "one\n")
    _ = try fixture.project.workspaces.checkpoint(slot: "w1", message: "v1")
    try fixture.write("a.py", "two\n")
    let slotDiff = try fixture.project.workspaces.diff("w1")
    #expect(slotDiff.changes == [FileChange(path: "a.py", status: .modified)])
    #expect(slotDiff.patch.contains("-one") && slotDiff.patch.contains("+two"))
    _ = try fixture.project.workspaces.checkpoint(slot: "w1", message: "v2")
    let versionDiff = try fixture.project.workspaces.diff("baseline@v2")
    #expect(versionDiff.from == "baseline@v1" && versionDiff.to == "baseline@v2")
    #expect(versionDiff.patch.contains("+two"))
    let explicit = try fixture.project.workspaces.diff("baseline@v1", "baseline@v2")
    #expect(explicit.changes == versionDiff.changes)
  }

  @Test("diff: a bare vN reads as a version of the workspace the other side names (upstream's diff)")
  func bareVersions() throws {
    let fixture = try ProjectFixture()
    try fixture.mountedWorkspace()
    try fixture.write("a.py", "one\n")
    _ = try fixture.project.workspaces.checkpoint(slot: "w1", message: "v1")
    try fixture.write("a.py", "two\n")
    _ = try fixture.project.workspaces.checkpoint(slot: "w1", message: "v2")
    try fixture.write("a.py", "three\n")
    let slotAgainstV1 = try fixture.project.workspaces.diff("w1", "v1")
    #expect(slotAgainstV1.from == "baseline@v1" && slotAgainstV1.to == "slot w1", "\(slotAgainstV1.from) \(slotAgainstV1.to)")
    #expect(slotAgainstV1.patch.contains("-one") && slotAgainstV1.patch.contains("+three"))
    let versions = try fixture.project.workspaces.diff("baseline@v2", "v1")
    #expect(versions.from == "baseline@v2" && versions.to == "baseline@v1")
    let alone = try #require(throws: GoldfishError.self) { try fixture.project.workspaces.diff("v1") }
    #expect(alone.message.contains("v1") && alone.hint?.contains("w1 v1") == true, "\(alone)")
    let both = try #require(throws: GoldfishError.self) { try fixture.project.workspaces.diff("v1", "v2") }
    #expect(both.hint?.contains("baseline@v1") == true || both.hint?.contains("WS@v1") == true, "\(both)")
  }

  @Test("bad input is refused with a clear error and changes nothing")
  func badInput() throws {
    let fixture = try ProjectFixture()
    let workspaces = fixture.project.workspaces
    #expect(throws: GoldfishError.self) { try workspaces.create(name: "bad name", goal: "g", reason: goodReason) }
    #expect(throws: GoldfishError.self) { try workspaces.create(name: "x$(id)", goal: "g", reason: goodReason) }
    do {
      _ = try workspaces.create(name: "ok", goal: "g", reason: "short")
      Issue.record("a short reason was accepted")
    } catch {
      #expect(error.code == .reasonTooShort)
      #expect(error.message.contains("15"))
    }
    #expect(try workspaces.list().isEmpty)
    _ = try workspaces.create(name: "ok", goal: "g", reason: goodReason)
    #expect(throws: GoldfishError.self) { try workspaces.create(name: "ok", goal: "g", reason: goodReason) }
    #expect(throws: GoldfishError.self) { try workspaces.mount("ok", slot: "w9", reason: goodReason) }
    // A slot folder with foreign files is never overwritten.
    try FileManager.default.createDirectory(atPath: fixture.slot("w1"), withIntermediateDirectories: true)
    try "mine".write(toFile: fixture.slot("w1") + "/precious.txt", atomically: true, encoding: .utf8)
    do {
      _ = try workspaces.mount("ok", slot: "w1", reason: goodReason)
      Issue.record("mounted over foreign files")
    } catch {
      #expect(error.code == .slotNotEmpty)
    }
    #expect(fixture.read("precious.txt") == "mine")
    #expect(try fixture.project.store.mount(slot: "w1") == nil)
    _ = try workspaces.mount("ok", slot: "w2", reason: goodReason)
    do {
      try workspaces.delete("ok", reason: goodReason)
      Issue.record("deleted a mounted workspace")
    } catch {
      #expect(error.code == .workspaceMounted)
    }
  }

  @Test("STATE.md and the audit log follow every change")
  func journal() throws {
    let fixture = try ProjectFixture()
    try fixture.mountedWorkspace()
    try fixture.project.journal.thought("the loss plateaus after epoch 3", workspace: "baseline")
    let state = try String(contentsOfFile: fixture.project.paths.stateMD, encoding: .utf8)
    #expect(state.contains("**baseline** (slot w1): find a baseline"))
    #expect(state.contains("mount (baseline, slot w1): work on the baseline now"))
    #expect(state.contains("the loss plateaus after epoch 3"))
    let operations = try fixture.project.store.recentAudit(limit: 10).map(\.operation)
    #expect(operations == ["mount", "create_workspace", "init"])
  }
}
