import Foundation
import GoldfishTesting
import Host

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// `plugins check --json` stays JSON when an in-process plugin takes goldfish down: before each
/// case the reports as they would read after a crash there are encoded into a buffer, and the
/// crash handler writes that buffer to the real stdout (no allocation in the handler) before
/// the signal ends the process as usual.
enum CheckCrashJSON {
  nonisolated(unsafe) private static var text: UnsafeMutablePointer<UInt8>?
  nonisolated(unsafe) private static var length = 0
  nonisolated(unsafe) private static var stdoutFD: Int32 = 1

  static func install() {
    stdoutFD = StdoutGuard.protect()
    for signal in [SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT] {
      var action = sigaction()
      #if canImport(Glibc)
        action.__sigaction_handler.sa_handler = { signal in CheckCrashJSON.handle(signal) }
      #else
        action.__sigaction_u.__sa_handler = { signal in CheckCrashJSON.handle(signal) }
      #endif
      action.sa_flags = Int32(truncatingIfNeeded: SA_RESETHAND)
      sigaction(signal, &action, nil)
    }
  }

  /// Keeps the JSON to print if the plugin crashes now. The old buffer is leaked on purpose:
  /// a handler running on another thread may still be writing it.
  static func prepare(_ reports: [ConformanceReport]) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    guard let data = try? encoder.encode(reports) else { return }
    let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: data.count + 1)
    data.copyBytes(to: buffer, count: data.count)
    buffer[data.count] = 0x0A
    length = 0
    text = buffer
    length = data.count + 1
  }

  private static func handle(_ signal: Int32) {
    if let text, length > 0 { _ = write(stdoutFD, text, length) }
    // SA_RESETHAND restored the default action: raising again ends the process the usual way.
    raise(signal)
  }
}
