import Foundation
import Testing

@testable import GoldfishTestSupport
@testable import Host

#if canImport(Glibc)
  import Glibc
#endif

/// The stat cache (issue #17): a re-save reads only files whose (device, inode, size, mtime, ctime)
/// changed, never trusts an entry as new as the cache itself (racy git), and is only a shortcut:
/// anything wrong with it costs reading, never a wrong version.
@Suite("Git layer: the stat cache of a save")
struct StatCacheTests {
  /// Saves `f.work` with the stat cache at `cache`.
  private func save(_ f: GitFixture, cache: String, message: String = "save") throws -> CommitResult {
    try f.repo.commitDirectory(
      f.work, branch: "goldfish/exp", message: message, ignore: .standard, maxFileBytes: nil, excluding: [],
      statCachePath: cache)
  }

  private func info(_ path: String) throws -> stat {
    var result = stat()
    try #require(lstat(path, &result) == 0)
    return result
  }

  /// Waits until the filesystem's clock is past every file's change time under `root`, so that a
  /// cache written next is strictly newer than all of them (not racy). Polls a probe file's mtime:
  /// the clock that stamps files, not the wall clock.
  private func settle(_ f: GitFixture) throws {
    var newest = FileStamp.Moment(seconds: 0, nanoseconds: 0)
    for name in FileManager.default.enumerator(atPath: f.work)?.allObjects as? [String] ?? [] {
      let stamp = FileStamp(try info(f.work + "/" + name))
      newest = max(newest, stamp.ctime, stamp.mtime)
    }
    let probe = f.base + "/clock-probe"
    for _ in 0..<10_000 {
      try Data("x".utf8).write(to: URL(fileURLWithPath: probe))
      if newest < FileStamp(try info(probe)).mtime { return }
      usleep(1_000)
    }
    Issue.record("the filesystem clock did not move past the files' change times")
  }

  /// The blob id git gives `text` (the real git CLI's answer).
  private func blobID(_ text: String, _ f: GitFixture) throws -> CommitID {
    let path = f.base + "/hash-input"
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    let done = Command.run(["/usr/bin/git", "hash-object", path])
    return try #require(CommitID(hex: done.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
  }

  @Test("an unchanged re-save reads no file, and the cache is where the caller put it")
  func unchangedResaveReadsNothing() throws {
    let f = try GitFixture("statcache")
    for index in 0..<40 { try f.write("d\(index % 4)/f\(index).txt", "content \(index)\n") }
    let cache = f.base + "/cache/stat/w1"
    try settle(f)
    let first = try save(f, cache: cache)
    #expect(first.changed && first.filesRead == 40)
    #expect(FileManager.default.fileExists(atPath: cache))

    let again = try save(f, cache: cache)
    #expect(!again.changed && again.commit == first.commit)
    #expect(again.filesRead == 0, "every file's stamp was in the cache")

    try f.write("d1/f1.txt", "edited content 1\n")
    try f.write("new.txt", "new\n")
    let third = try save(f, cache: cache)
    #expect(third.changed && third.filesRead == 2, "only the edited and the new file are read")
    #expect(try f.repo.readFile(at: "d1/f1.txt", in: third.commit) == Data("edited content 1\n".utf8))
  }

  /// Object files under `f`'s repository whose mtime is not `moment` (written or freshened since).
  private func objectsTouched(_ f: GitFixture, since moment: Int) throws -> [String] {
    let objects = f.repoPath + "/objects"
    let names = FileManager.default.enumerator(atPath: objects)?.allObjects as? [String] ?? []
    return try names.filter { name in
      let found = try info(objects + "/" + name)
      return (found.st_mode & S_IFMT) == S_IFREG && found.st_mtim.tv_sec != moment
    }
  }

  /// Sets every object file's mtime to `moment`.
  private func ageObjects(_ f: GitFixture, to moment: Int) {
    let objects = f.repoPath + "/objects"
    for name in FileManager.default.enumerator(atPath: objects)?.allObjects as? [String] ?? [] {
      var times = [timespec(tv_sec: moment, tv_nsec: 0), timespec(tv_sec: moment, tv_nsec: 0)]
      _ = utimensat(AT_FDCWD, objects + "/" + name, &times, 0)
    }
  }

  private func treeID(_ f: GitFixture, _ commit: CommitID, _ folder: String) -> String {
    Command.run(["/usr/bin/git", "--git-dir", f.repoPath, "rev-parse", "\(commit.hex):\(folder)"]).stdout
      .trimmingCharacters(in: .whitespacesAndNewlines)
  }

  @Test("a re-save writes no tree for an unchanged folder: it is the previous version's, not rewritten or freshened")
  func unchangedFoldersKeepTheirTrees() throws {
    let f = try GitFixture("statcache-trees")
    for index in 0..<40 { try f.write("d\(index % 4)/f\(index).txt", "content \(index)\n") }
    let cache = f.base + "/cache/stat/w1"
    try settle(f)
    let first = try save(f, cache: cache)
    let old = 946_684_800  // 2000-01-01: any write or freshening of an object shows in its mtime
    ageObjects(f, to: old)

    let again = try save(f, cache: cache)
    #expect(!again.changed && again.commit == first.commit)
    #expect(try objectsTouched(f, since: old).isEmpty, "nothing changed, so no object was written or touched")

    try f.write("d1/f1.txt", "edited content 1\n")
    let third = try save(f, cache: cache)
    #expect(third.changed)
    for folder in ["d0", "d2", "d3"] { #expect(treeID(f, third.commit, folder) == treeID(f, first.commit, folder)) }
    #expect(treeID(f, third.commit, "d1") != treeID(f, first.commit, "d1"))
    // The edited blob, d1's tree, the root tree and the commit: nothing of d0, d2 or d3.
    let touched = try objectsTouched(f, since: old)
    #expect(touched.count == 4, "\(touched)")
    for folder in ["d0", "d2", "d3"] {
      let id = treeID(f, first.commit, folder)
      #expect(!touched.contains(String(id.prefix(2)) + "/" + String(id.dropFirst(2))), "\(folder) was rewritten")
    }
    #expect(try f.repo.readFile(at: "d1/f1.txt", in: third.commit) == Data("edited content 1\n".utf8))
    #expect(try f.repo.readFile(at: "d2/f2.txt", in: third.commit) == Data("content 2\n".utf8))
  }

  @Test("a file rewritten in place with the same size and its mtime put back is caught by its ctime")
  func sameSizeRestoredMtimeCaughtByCtime() throws {
    let f = try GitFixture("statcache-ctime")
    try f.write("model.cfg", "lr=0.10\n")
    try f.write("other.txt", "unchanged\n")
    let path = f.work + "/model.cfg"
    // An mtime far in the past, so the cache's racy rule cannot be what catches the edit.
    var past = [timespec(tv_sec: 1_600_000_000, tv_nsec: 0), timespec(tv_sec: 1_600_000_000, tv_nsec: 0)]
    try #require(utimensat(AT_FDCWD, path, &past, 0) == 0)
    let cache = f.base + "/stat-cache"
    try settle(f)
    let first = try save(f, cache: cache)
    #expect(try save(f, cache: cache).filesRead == 0, "the entry is trusted before the edit")
    let before = FileStamp(try info(path))

    try settle(f)  // the edit's ctime is then newer than anything the cache holds
    let handle = try #require(FileHandle(forWritingAtPath: path))
    try handle.write(contentsOf: Data("lr=0.99\n".utf8))
    try handle.close()
    try #require(utimensat(AT_FDCWD, path, &past, 0) == 0)
    let after = FileStamp(try info(path))
    #expect(after.inode == before.inode && after.size == before.size && after.mtime == before.mtime)
    #expect(after.ctime != before.ctime)

    let changes = try f.repo.changes(
      from: first.commit, toDirectory: f.work, ignore: .standard, excluding: [], statCachePath: cache)
    #expect(changes == [FileChange(path: "model.cfg", status: .modified)], "a comparison sees it too")
    let second = try save(f, cache: cache)
    #expect(second.changed && second.filesRead == 1)
    #expect(try f.repo.readFile(at: "model.cfg", in: second.commit) == Data("lr=0.99\n".utf8))
  }

  /// A cache whose only entry says `relative` holds `id`, with the file's current stamp.
  private func forgeCache(_ f: GitFixture, at cache: String, _ relative: String, _ id: CommitID) throws {
    let forged = StatCache(file: cache + ".forged")
    forged.record(relative, FileStamp(try info(f.work + "/" + relative)), Git.oid(id))
    forged.save()
    try #require(rename(cache + ".forged", cache) == 0)
  }

  private func setMtime(_ path: String, _ moment: FileStamp.Moment) throws {
    var times = [
      timespec(tv_sec: Int(moment.seconds), tv_nsec: Int(moment.nanoseconds)),
      timespec(tv_sec: Int(moment.seconds), tv_nsec: Int(moment.nanoseconds)),
    ]
    try #require(utimensat(AT_FDCWD, path, &times, 0) == 0)
  }

  @Test("racy git: an entry whose times are not older than the cache file is read again, never trusted")
  func racyEntriesAreRead() throws {
    let f = try GitFixture("statcache-racy")
    try f.write("a.txt", "alpha\n")
    try f.write("b.txt", "bravo\n")
    let cache = f.base + "/stat-cache"
    try settle(f)
    let first = try save(f, cache: cache)
    _ = first
    let bravo = try blobID("bravo\n", f)

    // An entry that names the wrong content for a.txt, as a same-tick edit would leave it: the
    // cache file carries the file's own change time, so the entry is racy and a.txt is read.
    try forgeCache(f, at: cache, "a.txt", bravo)
    try setMtime(cache, FileStamp(try info(f.work + "/a.txt")).ctime)
    let racy = try save(f, cache: cache)
    #expect(!racy.changed && racy.filesRead == 2, "both files read: a.txt was racy, b.txt was not in the cache")

    // The same entry in a cache written later is believed: that is what makes a re-save free.
    try forgeCache(f, at: cache, "a.txt", bravo)
    try setMtime(cache, FileStamp.Moment(seconds: Int64(Date().timeIntervalSince1970) + 3600, nanoseconds: 0))
    let trusted = try save(f, cache: cache)
    #expect(trusted.changed && trusted.filesRead == 1)
    #expect(try f.repo.readFile(at: "a.txt", in: trusted.commit) == Data("bravo\n".utf8))
  }

  @Test("an entry naming an object the store does not have is not trusted")
  func missingObjectIsRead() throws {
    let f = try GitFixture("statcache-missing")
    try f.write("a.txt", "alpha\n")
    let cache = f.base + "/stat-cache"
    try settle(f)
    let first = try save(f, cache: cache)
    try f.write("a.txt", "alpha, edited\n")
    try settle(f)
    let never = try #require(CommitID(hex: String(repeating: "ab", count: 20)))
    try forgeCache(f, at: cache, "a.txt", never)
    try setMtime(cache, FileStamp.Moment(seconds: Int64(Date().timeIntervalSince1970) + 3600, nanoseconds: 0))
    let second = try save(f, cache: cache)
    #expect(second.changed && second.commit != first.commit && second.filesRead == 1)
    #expect(try f.repo.readFile(at: "a.txt", in: second.commit) == Data("alpha, edited\n".utf8))
    #expect(try save(f, cache: cache).filesRead == 0, "the untrusted entry was replaced by what the file holds")
  }

  @Test("a damaged or foreign cache file is ignored and replaced; the save is right either way")
  func damagedCacheIsIgnored() throws {
    let f = try GitFixture("statcache-damaged")
    for index in 0..<5 { try f.write("f\(index).txt", "file \(index)\n") }
    let cache = f.base + "/stat-cache"
    try settle(f)
    let first = try save(f, cache: cache)
    var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: cache)))
    bytes[bytes.count / 2] ^= 0xff
    try Data(bytes).write(to: URL(fileURLWithPath: cache))
    let damaged = try save(f, cache: cache)
    #expect(!damaged.changed && damaged.commit == first.commit && damaged.filesRead == 5)
    #expect(try save(f, cache: cache).filesRead == 0, "the damaged file was replaced by a good one")

    try Data("not a cache at all".utf8).write(to: URL(fileURLWithPath: cache))
    #expect(try save(f, cache: cache).filesRead == 5)
  }

  @Test("many new files are written as one pack that git itself reads and checks")
  func manyNewFilesGoInOnePack() throws {
    let f = try GitFixture("statcache-pack")
    let count = TreeWriter.packThreshold + 44
    for index in 0..<count { try f.write("d\(index % 7)/f\(index).txt", "payload \(index)\n") }
    try f.write("same-a.txt", "twice\n")
    try f.write("same-b.txt", "twice\n")
    let result = try save(f, cache: f.base + "/stat-cache")
    #expect(result.changed && result.packs == 1)
    #expect(f.objectCount < 12, "blobs are in the pack; only trees and the commit are loose")
    #expect(try f.repo.readFile(at: "d3/f10.txt", in: result.commit) == Data("payload 10\n".utf8))
    #expect(try f.repo.readFile(at: "same-b.txt", in: result.commit) == Data("twice\n".utf8))
    let fsck = Command.run(["/usr/bin/git", "--git-dir", f.repoPath, "fsck", "--strict", "--no-dangling"])
    #expect(fsck.status == 0, "git fsck: \(fsck.stderr)")
    let listed = Command.run([
      "/usr/bin/git", "--git-dir", f.repoPath, "ls-tree", "-r", "--name-only", result.commit.hex,
    ])
    #expect(listed.stdout.split(separator: "\n").count == count + 2)
  }
}

@Suite("workspaces: where the stat cache lives and when it is dropped")
struct SlotStatCacheTests {
  @Test("a checkpoint keeps the slot's cache in the dev folder; rollback, hibernate and mount drop it")
  func cacheLifecycle() throws {
    let fixture = try ProjectFixture()
    try fixture.mountedWorkspace()
    let cache = fixture.project.paths.devDir + "/cache/stat/w1"
    #expect(!FileManager.default.fileExists(atPath: cache))
    try fixture.write("train.py", "print(1)\n")
    _ = try fixture.project.workspaces.checkpoint(slot: "w1", message: "one")
    #expect(FileManager.default.fileExists(atPath: cache))
    try fixture.write("train.py", "print(2)\n")
    let two = try fixture.project.workspaces.checkpoint(slot: "w1", message: "two")
    #expect(two.created && two.changes == [FileChange(path: "train.py", status: .modified)])

    _ = try fixture.project.workspaces.rollback(slot: "w1", to: 1, reason: "back to the first one")
    #expect(!FileManager.default.fileExists(atPath: cache), "rollback replaced the files: cache dropped")
    #expect(fixture.read("train.py") == "print(1)\n")
    let three = try fixture.project.workspaces.checkpoint(slot: "w1", message: "after rollback")
    #expect(FileManager.default.fileExists(atPath: cache))
    // Saved from the rolled-back state: the new version holds v1's file, and compared with the
    // state the slot started from (v1) nothing changed, as before the cache.
    #expect(three.created && three.changes.isEmpty)
    let saved = try CommitID.stored(try #require(try fixture.project.store.latestVersion(of: "baseline")).sha)
    #expect(try fixture.project.repository.readFile(at: "train.py", in: saved) == Data("print(1)\n".utf8))

    _ = try fixture.project.workspaces.hibernate(slot: "w1", reason: "free the slot for a while")
    #expect(!FileManager.default.fileExists(atPath: cache))
    try Data("stale".utf8).write(to: URL(fileURLWithPath: cache))
    _ = try fixture.project.workspaces.mount("baseline", slot: "w1", reason: "back to work on it")
    #expect(!FileManager.default.fileExists(atPath: cache), "a mount starts without a cache")
  }
}
