import Foundation

/// A bound on how long a test body may run, counted from when the body starts.
///
/// Not `.timeLimit`: swift-testing starts that clock when it schedules a test, and on a 2-core CI
/// machine a synchronous test can wait more than a minute for a thread of the cooperative pool,
/// so three tests that need 2 s each "exceeded 60 s" before their bodies ran (CI, 2026-12-03).
/// A body still running at its deadline means the bound under test is broken and the run would
/// hang until CI's own limit, so the watchdog names the test and stops the test process.
enum Deadline {
  static func within<T>(
    _ seconds: TimeInterval, _ test: String = #function, file: String = #fileID, line: Int = #line,
    _ body: () throws -> T
  ) rethrows -> T {
    let finished = DispatchSemaphore(value: 0)
    Thread.detachNewThread {
      guard finished.wait(timeout: .now() + seconds) == .timedOut else { return }
      FileHandle.standardError.write(
        Data(
          "\(file):\(line): \(test) still runs \(Int(seconds)) s after it started; stopping the tests here rather than hanging\n"
            .utf8))
      abort()
    }
    defer { finished.signal() }
    return try body()
  }
}
