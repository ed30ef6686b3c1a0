import Foundation
import PluginKit
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// The same backup and restore through the gcs storage, on the emulator scripts/test.sh starts.
@Suite("Backups on gcs", .enabled(if: GCSSupport.available))
struct BackupGCSTests {
  @Test("a backup in a gcs bucket rebuilds a lost .goldfish/ with every run and version")
  func rebuildFromBucket() throws {
    try GCSSupport.ensureBucket()
    let prefix = "backup-" + UUID().uuidString.prefix(8).lowercased()
    let fixture = try SamplePipeline.project { text in
      text.replacingOccurrences(of: "  backend: file", with: "  backend: gcs")
        + "\ngcs:\n  bucket: \(GCSSupport.bucket)\n  prefix: \(prefix)\n"
        + "  endpoint: http://127.0.0.1:\(GCSSupport.emulatorPort)\n"
    }
    #expect(BackupTrigger.waitForPending())
    let project = fixture.project
    let (_, runs) = try SamplePipeline.run(fixture)
    #expect(BackupTrigger.waitForPending())
    let manager = BackupManager(project: project)
    #expect(try manager.status().warning == nil)
    let backup = try BackupFixture.created(manager.create(trigger: "manual"))
    #expect(manager.uri(of: backup.databaseKey)?.hasPrefix("gs://\(GCSSupport.bucket)/\(prefix)/backups/") == true)
    let expectedRuns = try project.store.stageRuns(limit: 1000).map(\.id).sorted()
    let expectedVersions = try project.store.versions(of: "line").map(\.version)
    let expectedHead = try project.repository.branchHead("goldfish/line")

    try FileManager.default.removeItem(atPath: project.paths.devDir)
    let result = try BackupRestore(location: ProjectLocation(root: fixture.root)).restore()
    #expect(result.backup.id == backup.id && result.rebuilt)
    let restored = try fixture.reopen()
    #expect(try restored.store.stageRuns(limit: 1000).map(\.id).sorted() == expectedRuns)
    for run in runs { #expect(try restored.store.record(ofStageRun: run.id) != nil) }
    #expect(try restored.store.versions(of: "line").map(\.version) == expectedVersions)
    #expect(try restored.repository.branchHead("goldfish/line") == expectedHead)
  }
}
