import Foundation
import PluginKit

/// One backup or cleanup at a time per project, across processes (an MCP server's trigger and a
/// person's `goldfish backup create`): an exclusive flock on `locks/backups.lock`.
enum BackupLock {
  static let timeout: TimeInterval = 300

  static func holding<T>(_ folder: String, _ body: () throws(GoldfishError) -> T) throws(GoldfishError) -> T {
    try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let path = folder + "/backups.lock"
    let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    guard fd >= 0 else {
      throw GoldfishError(.ioFailed, "cannot create the lock file \(path): \(String(cString: strerror(errno)))")
    }
    defer { close(fd) }
    let start = Date()
    while flock(fd, LOCK_EX | LOCK_NB) != 0 {
      guard Date().timeIntervalSince(start) < timeout else {
        throw GoldfishError(
          .ioFailed, "another backup of this project did not finish within \(Int(timeout)) s",
          hint: "wait for it and retry (goldfish backup status)")
      }
      usleep(50_000)
    }
    defer { flock(fd, LOCK_UN) }
    return try body()
  }
}
