import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A detached driver that dies of a signal (an in-process plugin with a wild pointer takes it
/// down) leaves one line in its driver.log naming the signal and the plugin call it was in, so
/// the process that gives the run up can say what killed it.
public enum DriverCrashNote {
  static let prefix = "goldfish: the driver crashed with "
  static let capacity = 512
  /// The plugin call in progress, as C text the signal handler can write without allocating.
  nonisolated(unsafe) static let current: UnsafeMutablePointer<CChar> = {
    let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: capacity)
    buffer.initialize(repeating: 0, count: capacity)
    return buffer
  }()
  nonisolated(unsafe) static var installed = false

  /// Installs the handlers (the `drive` command only: other processes keep their default).
  public static func install() {
    installed = true
    for signal in [SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT] {
      var action = sigaction()
      #if canImport(Glibc)
        action.__sigaction_handler.sa_handler = { signal in DriverCrashNote.handle(signal) }
      #else
        action.__sigaction_u.__sa_handler = { signal in DriverCrashNote.handle(signal) }
      #endif
      action.sa_flags = Int32(truncatingIfNeeded: SA_RESETHAND)
      sigaction(signal, &action, nil)
    }
  }

  /// Notes the plugin call about to run (only where the handlers are installed).
  static func entering(_ call: @autoclosure () -> String) {
    guard installed else { return }
    let text = Array(call().utf8.prefix(capacity - 1))
    text.withUnsafeBufferPointer { bytes in
      current.withMemoryRebound(to: UInt8.self, capacity: capacity) { target in
        target.update(from: bytes.baseAddress!, count: bytes.count)
        target[bytes.count] = 0
      }
    }
  }

  static func left() {
    if installed { current[0] = 0 }
  }

  private static func handle(_ signal: Int32) {
    let name: StaticString =
      switch signal {
      case SIGSEGV: "SIGSEGV"
      case SIGBUS: "SIGBUS"
      case SIGILL: "SIGILL"
      case SIGFPE: "SIGFPE"
      default: "SIGABRT"
      }
    write(2, "\n", 1)
    writeStatic("goldfish: the driver crashed with ")
    writeStatic(name)
    if current[0] != 0 {
      writeStatic(" during ")
      write(2, current, strlen(current))
    }
    write(2, "\n", 1)
    // SA_RESETHAND restored the default action: raising again ends the process the usual way.
    raise(signal)
  }

  private static func writeStatic(_ text: StaticString) {
    text.withUTF8Buffer { buffer in _ = write(2, buffer.baseAddress, buffer.count) }
  }

  /// The crash line a driver left in its log, without the prefix.
  static func lastCrash(inLog path: String) -> String? {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
    guard let line = text.split(separator: "\n").last(where: { $0.hasPrefix(prefix) }) else { return nil }
    return "it crashed with " + line.dropFirst(prefix.count)
  }
}
