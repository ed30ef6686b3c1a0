import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// An exclusive flock on one file, shared by every goldfish process on the project and released
/// when the holder exits, even on SIGKILL. Callers say what waiting too long means to them.
enum FileLock {
  static func holding<T>(
    _ path: String, timeout: TimeInterval, poll: useconds_t, tooLong: () -> GoldfishError,
    _ body: () throws(GoldfishError) -> T
  ) throws(GoldfishError) -> T {
    try? FileManager.default.createDirectory(
      atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    guard fd >= 0 else {
      throw GoldfishError(.ioFailed, "cannot create the lock file \(path): \(String(cString: strerror(errno)))")
    }
    defer { close(fd) }
    let start = Date()
    while flock(fd, LOCK_EX | LOCK_NB) != 0 {
      guard Date().timeIntervalSince(start) < timeout else { throw tooLong() }
      usleep(poll)
    }
    defer { flock(fd, LOCK_UN) }
    return try body()
  }
}
