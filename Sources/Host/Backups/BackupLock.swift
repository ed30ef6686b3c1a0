import Foundation
import PluginKit

/// One backup or cleanup at a time per project, across processes (an MCP server's trigger and a
/// person's `goldfish backup create`): an exclusive flock on `locks/backups.lock`.
enum BackupLock {
  static let timeout: TimeInterval = 300

  static func holding<T>(_ folder: String, _ body: () throws(GoldfishError) -> T) throws(GoldfishError) -> T {
    try FileLock.holding(
      folder + "/backups.lock", timeout: timeout, poll: 50_000,
      tooLong: {
        GoldfishError(
          .ioFailed, "another backup of this project did not finish within \(Int(timeout)) s",
          hint: "wait for it and retry (goldfish backup status)")
      }, body)
  }
}
