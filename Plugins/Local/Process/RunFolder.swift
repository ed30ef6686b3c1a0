import Foundation
import PluginKit
import PluginSupport

/// The files goldfish-runner keeps for one run: runner.json (who supervises), output.log,
/// and status.json (written last, once the run is over).
struct RunFolder {
  let path: String

  var logPath: String { path + "/output.log" }

  static func of(_ handle: JSONValue) throws(PluginError) -> RunFolder {
    guard let path = handle["work_dir"]?.stringValue, path.hasPrefix("/") else {
      throw PluginError(.invalidArgument, "the handle has no absolute work_dir: \(handle)")
    }
    return RunFolder(path: path)
  }

  var hasStarted: Bool {
    FileManager.default.fileExists(atPath: path + "/runner.json")
  }

  var supervisor: ProcessIdentity? {
    guard let record = read("runner.json"), let pid = record["pid"]?.intValue,
      let start = record["start_time"]?.intValue
    else { return nil }
    return ProcessIdentity(pid: Int32(pid), startTime: UInt64(start))
  }

  var finalRecord: JSONValue? { read("status.json") }

  func status() throws(PluginError) -> RunStatus {
    if let record = finalRecord { return Self.status(from: record) }
    guard hasStarted else {
      throw PluginError(.notFound, "no run was launched in \(path)", detail: ["work_dir": .string(path)])
    }
    if let supervisor, supervisor.isAlive { return RunStatus(state: .running) }
    // The supervisor may have written status.json between the two reads above.
    if let record = finalRecord { return Self.status(from: record) }
    return RunStatus(
      state: .failed, terminationCause: .lost,
      message: "the run's supervisor stopped without recording how the run ended")
  }

  static func status(from record: JSONValue) -> RunStatus {
    let code = record["exit_code"]?.intValue.map(Int.init)
    let cause = record["cause"]?.stringValue ?? "exit"
    let message = record["message"]?.stringValue ?? ""
    let started = record["started_at"]?.stringValue
    let finished = record["finished_at"]?.stringValue
    let state: RunState
    let termination: TerminationCause
    switch cause {
    case "user": (state, termination) = (.canceled, .user)
    case "timeout": (state, termination) = (.terminated, .timeout)
    case "oom": (state, termination) = (.terminated, .oom)
    case "error": (state, termination) = (.failed, .error)
    default: (state, termination) = (code == 0 ? .completed : .failed, .exit)
    }
    return RunStatus(
      state: state, exitCode: code, terminationCause: termination, message: message,
      startedAt: started, finishedAt: finished)
  }

  private func read(_ name: String) -> JSONValue? {
    guard let data = FileManager.default.contents(atPath: path + "/" + name) else { return nil }
    return try? JSONCoding.parse(String(decoding: data, as: UTF8.self))
  }
}
