#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// glibc's stdout is a mutable global; flushing it is safe from any thread.
private func flushStdout() {
  fflush(nil)
}

/// stdout is the MCP wire. Before any plugin loads, fd 1 is pointed at stderr and the real
/// stdout is kept on a private descriptor that only Goldfish writes to.
public enum StdoutGuard {
  nonisolated(unsafe) private static var privateStdout: Int32 = -1
  private static let lock = PthreadLock()

  /// The descriptor that reaches the real stdout. Idempotent.
  @discardableResult
  public static func protect() -> Int32 {
    lock.withLock {
      if privateStdout >= 0 { return privateStdout }
      flushStdout()
      let saved = dup(1)
      guard saved >= 0 else { return 1 }
      _ = fcntl(saved, F_SETFD, FD_CLOEXEC)
      dup2(2, 1)
      privateStdout = saved
      return saved
    }
  }

  /// Writes to the real stdout, whatever fd 1 is now.
  public static func write(_ text: String) {
    let fd = protect()
    var bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
      let written = bytes.withUnsafeMutableBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
      if written < 0 {
        if errno == EINTR { continue }
        return
      }
      offset += written
    }
    bytes.removeAll()
  }

  /// What a plugin wrote to stdout while it was captured.
  struct Captured {
    var total: Int
    var head: String
  }

  /// Runs `body` with fd 1 pointed at a temporary file and reports what was written to it.
  static func capture<T>(_ body: () -> T) -> (result: T, captured: Captured) {
    protect()
    flushStdout()
    var template = Array("/tmp/goldfish-stdout-XXXXXX".utf8CString)
    let sink = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    guard sink >= 0 else { return (body(), Captured(total: 0, head: "")) }
    template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
    defer { close(sink) }
    let previous = dup(1)
    dup2(sink, 1)
    let result = body()
    flushStdout()
    dup2(previous, 1)
    close(previous)
    var info = stat()
    fstat(sink, &info)
    var head = [UInt8](repeating: 0, count: 80)
    let count = max(0, pread(sink, &head, head.count, 0))
    let text = String(decoding: head[0..<count], as: UTF8.self)
      .split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\\n")
    return (result, Captured(total: Int(info.st_size), head: text))
  }
}

/// A plain pthread mutex: usable from any context without Foundation.
final class PthreadLock: @unchecked Sendable {
  private var mutex = pthread_mutex_t()
  init() { pthread_mutex_init(&mutex, nil) }
  deinit { pthread_mutex_destroy(&mutex) }

  func withLock<T>(_ body: () throws -> T) rethrows -> T {
    pthread_mutex_lock(&mutex)
    defer { pthread_mutex_unlock(&mutex) }
    return try body()
  }
}
