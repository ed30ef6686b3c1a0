import Foundation
import Testing

@testable import GoldfishTestSupport

/// goldfish-runner's CLI and files are a documented contract for third-party run backends
/// (docs/plugins.md, "goldfish-runner: a supervisor you may exec"): these tests hold it to
/// what that section says.
@Suite("goldfish-runner, the supervisor a backend may exec")
struct GoldfishRunnerContractTests {
  static var runner: String { TestEnvironment.binFolder + "/goldfish-runner" }

  /// Starts a run in a fresh WORK_DIR and returns the folder once goldfish-runner returned.
  static func start(timeout: Int = 0, _ command: [String]) throws -> String {
    let folder = TestEnvironment.temporaryFolder("runner")
    let result = Command.run([runner, folder, folder, String(timeout), "--"] + command)
    #expect(result.status == 0, "\(result.stderr)")
    return folder
  }

  static func json(_ path: String) -> [String: Any]? {
    guard let data = FileManager.default.contents(atPath: path) else { return nil }
    return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
  }

  /// status.json once the supervisor wrote it (it is written last, atomically).
  static func finalStatus(_ folder: String) throws -> [String: Any] {
    for _ in 0..<1200 {
      if let status = json(folder + "/status.json") { return status }
      usleep(50_000)
    }
    throw CheckError("no status.json in \(folder) after 60 s")
  }

  struct CheckError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
  }

  @Test("--help prints the CLI and the files; a wrong call exits 2 with the usage on stderr")
  func help() {
    let help = Command.run([Self.runner, "--help"])
    #expect(help.status == 0)
    for needle in [
      "usage: goldfish-runner WORK_DIR CWD TIMEOUT_SECONDS -- PROGRAM", "runner.json", "output.log",
      "status.json", "exit | user | timeout | oom | error",
    ] {
      #expect(help.stdout.contains(needle), "\(needle) missing from:\n\(help.stdout)")
    }
    let wrong = Command.run([Self.runner, "/tmp", "/tmp", "0", "sleep", "1"])
    #expect(wrong.status == 2)
    #expect(wrong.stderr.hasPrefix("usage: goldfish-runner"), "\(wrong.stderr)")
  }

  @Test("runner.json names the supervisor before it returns; status.json records the exit; output.log the output")
  func exitRecorded() throws {
    let folder = try Self.start(["/bin/sh", "-c", "echo to-out; echo to-err >&2; exit 3"])
    let supervisor = try #require(Self.json(folder + "/runner.json"), "runner.json is missing right after return")
    #expect((supervisor["pid"] as? Int ?? 0) > 1 && (supervisor["start_time"] as? Int ?? 0) > 0, "\(supervisor)")
    let status = try Self.finalStatus(folder)
    #expect(
      Set(status.keys) == ["exit_code", "signal", "cause", "message", "started_at", "finished_at"], "\(status)")
    #expect(status["exit_code"] as? Int == 3 && status["cause"] as? String == "exit", "\(status)")
    #expect(status["signal"] is NSNull, "\(status)")
    let log = try String(contentsOfFile: folder + "/output.log", encoding: .utf8)
    #expect(log.contains("to-out") && log.contains("to-err"), "\(log)")
  }

  @Test("TIMEOUT_SECONDS ends the job with cause timeout and exit_code 128 + SIGTERM")
  func timeout() throws {
    let folder = try Self.start(timeout: 1, ["/bin/sleep", "60"])
    let status = try Self.finalStatus(folder)
    #expect(status["cause"] as? String == "timeout", "\(status)")
    #expect(status["exit_code"] as? Int == 128 + Int(SIGTERM) && status["signal"] as? Int == Int(SIGTERM), "\(status)")
  }

  @Test("SIGTERM to the supervisor cancels the job: cause user")
  func cancel() throws {
    let folder = try Self.start(["/bin/sleep", "60"])
    let pid = try #require(Self.json(folder + "/runner.json")?["pid"] as? Int)
    kill(pid_t(pid), SIGTERM)
    let status = try Self.finalStatus(folder)
    #expect(status["cause"] as? String == "user", "\(status)")
  }

  @Test("a program that cannot start: cause error, exit_code 127, and a goldfish: line in output.log")
  func cannotStart() throws {
    let folder = try Self.start(["/nonexistent/program"])
    let status = try Self.finalStatus(folder)
    #expect(status["cause"] as? String == "error" && status["exit_code"] as? Int == 127, "\(status)")
    let log = try String(contentsOfFile: folder + "/output.log", encoding: .utf8)
    #expect(log.contains("goldfish: cannot start /nonexistent/program"), "\(log)")
  }
}
