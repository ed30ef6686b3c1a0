import Foundation
import Host
import Testing

@testable import GoldfishTestSupport

@Suite("Git layer: saving a folder")
struct GitCommitTests {
  @Test("the first save creates the workspace; saving again unchanged makes no new state")
  func firstAndUnchanged() throws {
    let f = try GitFixture()
    try f.write("train.py", "print('hi')\n")
    try f.write("configs/train.yaml", "lr: 0.1\n")
    #expect(try f.repo.branchHead("goldfish/exp") == nil)

    let first = try f.commit()
    #expect(first.changed)
    #expect(try f.repo.branchHead("goldfish/exp") == first.commit)
    #expect(try f.repo.readFile(at: "configs/train.yaml", in: first.commit) == Data("lr: 0.1\n".utf8))
    #expect(try f.repo.commitInfo(first.commit).parents.isEmpty)

    let again = try f.commit()
    #expect(!again.changed)
    #expect(again.commit == first.commit)
    #expect(try f.repo.log(branch: "goldfish/exp", limit: 10).count == 1)

    try f.write("train.py", "print('bye')\n")
    let second = try f.commit(message: "edit")
    #expect(second.changed)
    #expect(try f.repo.commitInfo(second.commit).parents == [first.commit])
    #expect(try f.repo.commitInfo(second.commit).message == "edit")
  }

  @Test("files absent from the folder are absent from the new state (delete semantics)")
  func deleteSemantics() throws {
    let f = try GitFixture()
    try f.write("a.txt", "a")
    try f.write("sub/b.txt", "b")
    try f.write("sub/deep/c.txt", "c")
    let first = try f.commit()
    try f.remove("a.txt")
    try f.remove("sub/deep")
    let second = try f.commit()
    #expect(second.changed)
    #expect(try f.fileNames(in: second.commit, ["a.txt", "sub/b.txt", "sub/deep/c.txt"]) == ["sub/b.txt"])
    #expect(try f.fileNames(in: first.commit, ["a.txt", "sub/b.txt", "sub/deep/c.txt"]).count == 3)
  }

  @Test("empty folders are not recorded, and an empty folder saves as an empty state")
  func emptyFolders() throws {
    let f = try GitFixture()
    try FileManager.default.createDirectory(atPath: f.work + "/empty/nested", withIntermediateDirectories: true)
    let result = try f.commit()
    #expect(result.changed)
    #expect(try f.repo.changes(from: nil, to: result.commit).isEmpty)
    try f.write("x", "1")
    #expect(try f.commit().changed)
  }

  @Test("ignored paths, the directory's .gitignore and excluded names are never saved")
  func ignoredAndExcluded() throws {
    let f = try GitFixture()
    try f.write("model.py", "x")
    try f.write("__pycache__/model.cpython-311.pyc", "bytecode")
    try f.write("pkg/__pycache__/m.pyc", "bytecode")
    try f.write("pkg/util.pyc", "bytecode")
    try f.write(".DS_Store", "junk")
    try f.write(".git/HEAD", "ref: refs/heads/main\n")
    try f.write("pkg/.git", "gitdir: elsewhere\n")
    try f.write("logs/run.log", "log")
    try f.write("logs/keep.log", "keep")
    try f.write("data/big.bin", "big")
    try f.write(".gitignore", "# local\nlogs/*\n!logs/keep.log\ndata/\n")
    try f.write(".goldfish-mount", "{}")
    try f.write("STATE.md", "state")
    try f.write("sub/secret.txt", "s")

    let rules = IgnoreRules.standard.adding(gitignoreAt: f.work)
    let result = try f.commit(ignore: rules, excluding: [".goldfish-mount", "STATE.md", "sub/secret.txt"])
    let all = [
      "model.py", "__pycache__/model.cpython-311.pyc", "pkg/__pycache__/m.pyc", "pkg/util.pyc", ".DS_Store",
      ".git/HEAD", "pkg/.git", "logs/run.log", "logs/keep.log", "data/big.bin", ".gitignore", ".goldfish-mount",
      "STATE.md", "sub/secret.txt",
    ]
    #expect(try f.fileNames(in: result.commit, all) == ["model.py", "logs/keep.log", ".gitignore"])

    // Changing only ignored or excluded files changes nothing.
    try f.write("logs/run.log", "more")
    try f.write("STATE.md", "other")
    #expect(try !f.commit(ignore: rules, excluding: [".goldfish-mount", "STATE.md", "sub/secret.txt"]).changed)
  }

  @Test("links inside the folder are stored as links; links leaving it are skipped")
  func symlinks() throws {
    let f = try GitFixture()
    try f.write("data/real.txt", "real")
    try f.write("../outside.txt", "secret")
    try FileManager.default.createSymbolicLink(atPath: f.work + "/alias.txt", withDestinationPath: "data/real.txt")
    try FileManager.default.createSymbolicLink(atPath: f.work + "/data/up", withDestinationPath: "../alias.txt")
    try FileManager.default.createSymbolicLink(atPath: f.work + "/escape", withDestinationPath: "../outside.txt")
    try FileManager.default.createSymbolicLink(atPath: f.work + "/absolute", withDestinationPath: "/etc/passwd")
    try FileManager.default.createSymbolicLink(atPath: f.work + "/dangling-out", withDestinationPath: "../../nowhere")
    try FileManager.default.createSymbolicLink(atPath: f.work + "/datadir", withDestinationPath: "data")
    let result = try f.commit()
    #expect(try f.repo.readFile(at: "alias.txt", in: result.commit) == Data("data/real.txt".utf8))
    #expect(try f.repo.readFile(at: "data/up", in: result.commit) == Data("../alias.txt".utf8))
    #expect(try f.repo.readFile(at: "datadir", in: result.commit) == Data("data".utf8))
    #expect(try f.fileNames(in: result.commit, ["escape", "absolute", "dangling-out", "datadir/real.txt"]).isEmpty)
  }

  @Test("a file over the size limit is named, with its size and the limit, and nothing is written")
  func fileTooLarge() throws {
    let f = try GitFixture()
    try f.write("small.txt", "ok")
    let first = try f.commit(maxFileBytes: 100)
    let objects = f.objectCount
    try f.write("a-new.txt", "new content that would be written first")
    try f.writeData("models/weights.bin", Data(repeating: 7, count: 101))

    let error = goldfishError { try f.commit(maxFileBytes: 100) }
    #expect(error?.code == .fileTooLarge)
    #expect(error?.message.contains("models/weights.bin") == true)
    #expect(error?.detail["path"] == .string("models/weights.bin"))
    #expect(error?.detail["size_bytes"] == .int(101))
    #expect(error?.detail["limit_bytes"] == .int(100))
    #expect(try f.repo.branchHead("goldfish/exp") == first.commit)
    #expect(f.objectCount == objects)

    // Ignored files are not measured.
    #expect(try f.commit(ignore: IgnoreRules(patterns: ["*.bin"]), maxFileBytes: 100).changed)
  }

  @Test("line endings and bytes are stored exactly, whatever the user's git config says")
  func exactBytes() throws {
    let f = try GitFixture()
    let bytes = Data([0x61, 0x0D, 0x0A, 0x00, 0xFF, 0x62, 0x0D, 0x0A])
    try f.writeData("crlf.bin", bytes)
    try f.write("big.txt", String(repeating: "line of text\r\n", count: 200_000))  // > 1 MiB: streamed
    let result = try f.commit()
    #expect(try f.repo.readFile(at: "crlf.bin", in: result.commit) == bytes)
    #expect(try f.repo.readFile(at: "big.txt", in: result.commit)?.count == 14 * 200_000)
    try f.write("big.txt", String(repeating: "line of text\r\n", count: 200_001))
    #expect(try f.commit().changed)
  }

  @Test("the executable bit is part of a file's state")
  func executableBit() throws {
    let f = try GitFixture()
    try f.write("run.sh", "#!/bin/sh\n")
    let first = try f.commit()
    try f.write("run.sh", "#!/bin/sh\n", executable: true)
    let second = try f.commit()
    #expect(second.changed)
    #expect(
      try f.repo.changes(from: first.commit, to: second.commit) == [FileChange(path: "run.sh", status: .modified)])
  }

  @Test("author is Goldfish whatever the environment")
  func author() throws {
    let f = try GitFixture()
    try f.write("a", "a")
    let result = try f.commit(message: "first save")
    let info = try f.repo.commitInfo(result.commit)
    #expect(info.message == "first save")
    #expect(abs(info.time.timeIntervalSinceNow) < 60)
  }

  @Test("a missing folder is a clear error")
  func missingFolder() throws {
    let f = try GitFixture()
    let error = goldfishError { try f.commit(from: f.base + "/nope") }
    #expect(error?.code == .ioFailed)
    #expect(try f.repo.branchHead("goldfish/exp") == nil)
  }
}
