import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

extension GoldfishError.Code {
  public static let slotBusy = Self("slot_busy")
}

/// An exclusive lock on one slot across every goldfish process on the project (flock on a
/// file under the dev folder). Released when the process exits, even on SIGKILL.
struct SlotLock {
  static let timeout: TimeInterval = 30

  static func withLock<T>(
    _ slot: String, in folder: String, _ body: () throws(GoldfishError) -> T
  )
    throws(GoldfishError) -> T
  {
    try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let path = folder + "/slot-\(slot).lock"
    let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    guard fd >= 0 else {
      throw GoldfishError(.ioFailed, "cannot create the lock file \(path): \(String(cString: strerror(errno)))")
    }
    defer { close(fd) }
    let start = Date()
    while flock(fd, LOCK_EX | LOCK_NB) != 0 {
      guard Date().timeIntervalSince(start) < timeout else {
        throw GoldfishError(
          .slotBusy, "slot \(slot) is busy: another goldfish operation on it did not finish within \(Int(timeout)) s",
          hint: "wait for it to finish and retry")
      }
      usleep(20_000)
    }
    defer { flock(fd, LOCK_UN) }
    return try body()
  }
}
