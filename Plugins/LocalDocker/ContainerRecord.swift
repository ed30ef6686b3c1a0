import Foundation
import PluginKit
import PluginSupport

/// What the docker backend keeps in a run's work_dir, so that status, logs and cancel still
/// answer correctly from another host process and after the container is removed:
///   container.json  the container id, when it started and its time limit
///   stop-reason     "user" or "timeout": why goldfish stopped it (so status is not "failed")
///   status.json     the final status, written once the container ended
///   output.log      stdout and stderr, demultiplexed, copied from the engine
struct ContainerRecord {
  let workDir: String

  var logPath: String { workDir + "/output.log" }

  static func of(_ handle: JSONValue) throws(PluginError) -> ContainerRecord {
    guard let path = handle["work_dir"]?.stringValue, path.hasPrefix("/") else {
      throw PluginError(.invalidArgument, "the handle has no absolute work_dir: \(handle)")
    }
    return ContainerRecord(workDir: path)
  }

  struct Launch: Codable {
    var containerID: String
    var startedAt: Double
    var timeoutSeconds: Int?

    enum CodingKeys: String, CodingKey {
      case containerID = "container_id"
      case startedAt = "started_at"
      case timeoutSeconds = "timeout_seconds"
    }
  }

  var launch: Launch? {
    guard let text = read("container.json") else { return nil }
    return try? JSONCoding.decode(Launch.self, from: text)
  }

  func saveLaunch(_ launch: Launch) throws(PluginError) {
    try write("container.json", try JSONCoding.encode(launch))
  }

  var stopReason: TerminationCause? {
    read("stop-reason").flatMap { TerminationCause(rawValue: $0.trimmingCharacters(in: .whitespacesAndNewlines)) }
  }

  /// The first reason wins: a timeout followed by a user cancel stays a timeout.
  func recordStop(_ cause: TerminationCause) throws(PluginError) {
    guard stopReason == nil else { return }
    try write("stop-reason", cause.rawValue)
  }

  var finalStatus: RunStatus? {
    read("status.json").flatMap { try? JSONCoding.decode(RunStatus.self, from: $0) }
  }

  func saveFinal(_ status: RunStatus) throws(PluginError) {
    try write("status.json", try JSONCoding.encode(status))
  }

  private func read(_ name: String) -> String? {
    guard let data = FileManager.default.contents(atPath: workDir + "/" + name) else { return nil }
    return String(decoding: data, as: UTF8.self)
  }

  private func write(_ name: String, _ text: String) throws(PluginError) {
    let bytes = Array(text.utf8)
    let path = workDir + "/" + name
    try POSIXFile.atomicWrite(to: path) { (fd) throws(PluginError) in try POSIXFile.writeAll(fd, bytes, path) }
  }
}
