import Foundation
import PluginKit
import PluginSupport
import Testing

@testable import GoldfishTestSupport
@testable import Host

@Suite("Backups that restore")
struct BackupRestoreTests {
  @Test("a backup holds the database and every branch and tag, and .goldfish/ is rebuilt from storage alone")
  func rebuildFromStorageAlone() throws {
    let (fixture, storage) = try BackupFixture.project()
    let project = fixture.project
    let (_, runs) = try SamplePipeline.run(fixture)
    try fixture.write("notes.txt", "a change worth a version")
    let saved = try project.workspaces.checkpoint(slot: "w1", message: "after the first run")
    _ = try project.workspaces.create(name: "other", goal: "another line", reason: goodReason)
    BackupTrigger.waitForPending()
    let backup = try BackupFixture.created(BackupManager(project: project).create(trigger: "manual"))

    // What was written: a gzipped snapshot and a bundle, with the manifest's checksums and sizes.
    let files = BackupFixture.files(under: storage + "/backups")
    #expect(files.contains("manifest.json"))
    #expect(files.contains(backup.databaseKey.replacingOccurrences(of: "backups/", with: "")))
    let manifest = try BackupFixture.manifest(in: storage)
    let entry = try #require(manifest.backups.first { $0.id == backup.id })
    let (size, sha) = try POSIXFile.sha256(of: storage + "/" + backup.databaseKey)
    #expect(entry.databaseSHA256 == sha && entry.databaseBytes == size)
    let gzipMagic = try #require(
      FileHandle(forReadingAtPath: storage + "/" + backup.databaseKey)?.readData(ofLength: 2))
    #expect([UInt8](gzipMagic) == [0x1f, 0x8b])
    let bundle = try String(contentsOfFile: storage + "/" + (backup.repositoryKey ?? ""), encoding: .isoLatin1)
    #expect(bundle.hasPrefix("# v2 git bundle\n"))
    #expect(bundle.contains(" refs/heads/goldfish/line\n") && bundle.contains(" refs/tags/line-\(saved.version)\n"))

    let expectedRuns = try project.store.stageRuns(limit: 1000).map(\.id).sorted()
    let expectedVersions = try project.store.versions(of: "line").map(\.version)
    let expectedHead = try project.repository.branchHead("goldfish/line")
    let expectedTags = try project.repository.tags(prefix: "line-")
    #expect(!runs.isEmpty && expectedVersions.count >= 2)

    try FileManager.default.removeItem(atPath: project.paths.devDir)
    let result = try BackupRestore(location: ProjectLocation(root: fixture.root)).restore()
    #expect(result.backup.id == backup.id && result.rebuilt)
    #expect(result.databaseKeptAt == nil && result.repositoryKeptAt == nil)

    let restored = try fixture.reopen()
    #expect(try restored.store.stageRuns(limit: 1000).map(\.id).sorted() == expectedRuns)
    for run in runs { #expect(try restored.store.record(ofStageRun: run.id) != nil) }
    #expect(try restored.store.versions(of: "line").map(\.version) == expectedVersions)
    #expect(try restored.store.workspace("other") != nil)
    #expect(try restored.repository.branchHead("goldfish/line") == expectedHead)
    #expect(try restored.repository.tags(prefix: "line-") == expectedTags)
    // The restored project works: its versions materialize and it saves new ones.
    try fixture.write("more.txt", "work after the restore")
    let next = try restored.workspaces.checkpoint(slot: "w1", message: "after the restore")
    #expect(next.created)
    // The restored database knows the backup that restored it.
    #expect(try restored.store.backups().contains { $0.id == backup.id })
  }

  @Test("restore in place keeps the database and repository it replaces aside, and takes back later changes")
  func restoreInPlaceKeepsTheOldAside() throws {
    let (fixture, _) = try BackupFixture.project()
    let backup = try BackupFixture.created(BackupManager(project: fixture.project).create(trigger: "manual"))
    _ = try fixture.project.workspaces.create(name: "later", goal: "made after the backup", reason: goodReason)
    BackupTrigger.waitForPending()

    let result = try BackupRestore(location: ProjectLocation(root: fixture.root)).restore(id: backup.id)
    #expect(!result.rebuilt)
    let asideDatabase = try #require(result.databaseKeptAt)
    let asideRepository = try #require(result.repositoryKeptAt)
    #expect(asideDatabase.hasPrefix(fixture.project.paths.database + ".before-restore-"))
    #expect(FileManager.default.fileExists(atPath: asideDatabase))
    #expect(FileManager.default.fileExists(atPath: asideRepository + "/HEAD"))
    let restored = try fixture.reopen()
    #expect(try restored.store.workspace("later") == nil)
    #expect(try restored.store.workspace("line") != nil)
    // What it replaced is intact: the aside database still has the later workspace.
    let aside = try ProjectStore.open(path: asideDatabase)
    #expect(try aside.workspace("later") != nil)
  }

  @Test("restore refuses while runs are active, and names them")
  func refusesWhileRunsAreActive() throws {
    let (fixture, _) = try BackupFixture.project()
    _ = try BackupManager(project: fixture.project).create(trigger: "manual")
    let services = try ExecutionServices.open(fixture.project)
    let started = try Executor(services: services).start(RunRequest(target: "w1", reason: goodReason))
    BackupTrigger.waitForPending()
    let runID = try #require(started.stageRuns.values.first)
    let before = try Data(contentsOf: URL(fileURLWithPath: fixture.project.paths.database))
    #expect {
      try BackupRestore(location: ProjectLocation(root: fixture.root)).restore()
    } throws: { error in
      guard let error = error as? GoldfishError else { return false }
      return error.code == .restoreRefused && error.message.contains(runID)
    }
    #expect(try Data(contentsOf: URL(fileURLWithPath: fixture.project.paths.database)) == before)
    _ = try Executor(services: services).cancel(started.pipelineRunID, reason: goodReason)
  }

  @Test("a stored backup that does not match its checksum is refused and nothing is replaced")
  func checksumMismatchIsRefused() throws {
    let (fixture, storage) = try BackupFixture.project()
    let backup = try BackupFixture.created(BackupManager(project: fixture.project).create(trigger: "manual"))
    BackupTrigger.waitForPending()
    let path = storage + "/" + backup.databaseKey
    var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    bytes[bytes.count / 2] ^= 0xff
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    #expect {
      try BackupRestore(location: ProjectLocation(root: fixture.root)).restore()
    } throws: { error in
      (error as? GoldfishError)?.code == .backupInvalid
    }
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: fixture.project.paths.devDir)
    #expect(!leftovers.contains { $0.contains("before-restore") })
  }

  @Test("restore names a missing backup id and lists where it looked")
  func unknownBackup() throws {
    let (fixture, storage) = try BackupFixture.project()
    _ = try BackupManager(project: fixture.project).create(trigger: "manual")
    BackupTrigger.waitForPending()
    #expect {
      try BackupRestore(location: ProjectLocation(root: fixture.root)).restore(id: "backup-nope")
    } throws: { error in
      guard let error = error as? GoldfishError else { return false }
      return error.code == .backupNotFound && error.message.contains("backup-nope") && error.message.contains(storage)
    }
  }
}
