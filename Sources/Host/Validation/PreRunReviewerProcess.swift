import Foundation
import PluginKit

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Runs one checking program (a reviewer command, the compile check) with a bounded time and
/// bounded output. Its stdin is a file, never a pipe: a program that does not read its input
/// cannot raise SIGPIPE in goldfish. A program still going at the deadline is killed.
struct ReviewerProcess {
  struct Outcome: Sendable {
    var exitCode: Int32
    var stdout: String
    var stderr: String
    var timedOut: Bool
  }

  static let outputLimit = 1 << 20

  /// `argv[0]` is looked up on PATH (through /usr/bin/env), like a shell would, without one.
  static func run(
    _ argv: [String], stdin: Data = Data(), timeout: TimeInterval, directory: String? = nil
  ) throws(GoldfishError) -> Outcome {
    guard !argv.isEmpty else { throw GoldfishError(.invalidArgument, "an empty command cannot run") }
    let inputFile = FileManager.default.temporaryDirectory.appendingPathComponent(
      "goldfish-review-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: inputFile) }
    let process = Process()
    let output = Pipe()
    let errors = Pipe()
    do {
      try stdin.write(to: inputFile)
      process.standardInput = try FileHandle(forReadingFrom: inputFile)
    } catch {
      throw GoldfishError(.ioFailed, "cannot prepare the input of \(argv[0]): \(error.localizedDescription)")
    }
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = argv
    process.standardOutput = output
    process.standardError = errors
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let ended = DispatchSemaphore(value: 0)
    process.terminationHandler = { _ in ended.signal() }
    let stdoutText = Collected(output.fileHandleForReading)
    let stderrText = Collected(errors.fileHandleForReading)
    do {
      try process.run()
    } catch {
      throw GoldfishError(.ioFailed, "cannot start \(argv[0]): \(error.localizedDescription)")
    }
    try? output.fileHandleForWriting.close()
    try? errors.fileHandleForWriting.close()
    var timedOut = false
    if ended.wait(timeout: .now() + timeout) == .timedOut {
      timedOut = true
      kill(process.processIdentifier, SIGKILL)
      _ = ended.wait(timeout: .now() + 5)
    }
    // A grandchild that keeps the pipes open must not hold goldfish: the text so far is enough.
    return Outcome(
      exitCode: timedOut ? -1 : process.terminationStatus, stdout: stdoutText.text(waiting: 2),
      stderr: stderrText.text(waiting: 2), timedOut: timedOut)
  }

  /// Reads one pipe to its end on its own thread, keeping at most `outputLimit` bytes.
  private final class Collected: @unchecked Sendable {
    private var data = Data()
    private let lock = NSLock()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
      Thread.detachNewThread { [self] in
        while true {
          let chunk = handle.availableData
          if chunk.isEmpty { break }
          lock.withLock {
            if data.count < ReviewerProcess.outputLimit {
              data.append(chunk.prefix(ReviewerProcess.outputLimit - data.count))
            }
          }
        }
        done.signal()
      }
    }

    func text(waiting seconds: TimeInterval) -> String {
      _ = done.wait(timeout: .now() + seconds)
      return lock.withLock { String(decoding: data, as: UTF8.self) }
    }
  }
}
