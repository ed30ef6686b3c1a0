import Foundation
import PluginKit

@testable import GoldfishTestSupport
@testable import Host

/// Projects whose `file` storage lives outside `.goldfish/`, as a project that wants backups to
/// survive the loss of `.goldfish/` configures it.
enum BackupFixture {
  /// The sample pipeline project with its storage in a sibling folder; `extra` is appended to
  /// goldfish.yaml (a `backup:` section).
  static func project(extra: String = "") throws -> (ProjectFixture, storage: String) {
    let storage = TestEnvironment.temporaryFolder("backup-storage")
    try FileManager.default.createDirectory(atPath: storage, withIntermediateDirectories: true)
    let fixture = try SamplePipeline.project { text in
      // `extra` replaces the template's own backup section.
      SamplePipeline.withoutFinalizationGate(text)
        .replacingOccurrences(
          of: "backup:\n  enabled: true\n", with: extra.isEmpty ? "backup:\n  enabled: true\n" : extra)
        + "\nfile:\n  root: \(storage)\n"
    }
    // The background backup of create_workspace is done before a test takes its own.
    BackupTrigger.waitForPending()
    return (fixture, storage)
  }

  /// Every file under `root`, relative, sorted.
  static func files(under root: String) -> [String] {
    let enumerator = FileManager.default.enumerator(atPath: root)
    var files: [String] = []
    while let next = enumerator?.nextObject() as? String {
      var isDirectory: ObjCBool = false
      if FileManager.default.fileExists(atPath: root + "/" + next, isDirectory: &isDirectory), !isDirectory.boolValue {
        files.append(next)
      }
    }
    return files.sorted()
  }

  static func manifest(in storage: String) throws -> BackupManifest {
    let data = try Data(contentsOf: URL(fileURLWithPath: storage + "/backups/manifest.json"))
    return try JSONCoding.decoder().decode(BackupManifest.self, from: data)
  }

  static func created(_ outcome: BackupManager.Outcome) throws -> BackupRecord {
    guard case .created(let record) = outcome else {
      throw GoldfishError(.invalidArgument, "expected a backup, got \(outcome)")
    }
    return record
  }
}
