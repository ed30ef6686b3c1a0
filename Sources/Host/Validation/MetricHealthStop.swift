import Foundation
import GRDB
import PluginKit

/// Asks a running stage to stop cleanly: the request is recorded on the run
/// (`stop_requested_at`, `stop_reason`; the first request wins) and the stop file
/// `<outputs>/.goldfish/stop_requested` is written where the stage reads it
/// (goldfish.io's `should_stop()`). When the stage then exits, the run ends terminated with
/// cause `ai_stop` (StageFinalizer). The file reaches stages of backends whose outputs folder is
/// on this machine (process, docker, warm local workers); the gce backend has no way to receive it
/// yet, so there the request is recorded and reported, and the stage runs on.
public struct StopRequest: Sendable {
  public let store: ProjectStore
  /// The run backend's name, to say when the file cannot reach the stage.
  public let backend: String

  public static let fileName = "stop_requested"
  static let remoteBackends: Set<String> = ["gce"]

  public init(store: ProjectStore, backend: String) {
    self.store = store
    self.backend = backend
  }

  public static func file(workDir: String) -> String {
    RunLayout.outputsDir(workDir: workDir) + "/" + StageIO.runtimeFolder + "/" + fileName
  }

  /// Records and delivers the request; false when the run is not running or already asked.
  @discardableResult
  public func request(_ run: StageRunRecord, reason: String) throws(GoldfishError) -> Bool {
    let recorded = try store.recordStopRequest(run.id, reason: reason)
    guard recorded, let workDir = run.workDir else { return recorded }
    if Self.remoteBackends.contains(backend) {
      try store.addReview(
        SVSReview(
          stageRunID: run.id, kind: .duringRun, decision: .warned, reviewer: "stop_request",
          findings: [
            SVSFinding(
              check: "stop_not_delivered", severity: .warning,
              message:
                "the \(backend) backend cannot receive a stop request yet; the stage runs on (cancel it to stop it)")
          ]))
      return recorded
    }
    let path = Self.file(workDir: workDir)
    do {
      try FileManager.default.createDirectory(
        atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
      try Data((reason + "\n").utf8).write(to: URL(fileURLWithPath: path))
    } catch {
      throw GoldfishError(.ioFailed, "cannot write the stop file \(path): \(error.localizedDescription)")
    }
    return recorded
  }
}

extension ProjectStore {
  /// Sets the run's stop request unless one is set or the run has ended; true when set now.
  public func recordStopRequest(_ id: String, reason: String) throws(GoldfishError) -> Bool {
    try write { db in
      try db.execute(
        sql: """
          UPDATE stage_runs SET stop_requested_at = ?, stop_reason = ?
          WHERE id = ? AND stop_requested_at IS NULL AND state IN ('launching', 'running')
          """,
        arguments: [Timestamp.now(), String(reason.prefix(2000)), id])
      return db.changesCount == 1
    }
  }

  /// When and why a stop was asked of the run, if it was.
  public func stopRequest(of id: String) throws(GoldfishError) -> (at: String, reason: String)? {
    try read { db in
      guard
        let row = try Row.fetchOne(
          db, sql: "SELECT stop_requested_at, stop_reason FROM stage_runs WHERE id = ?", arguments: [id]),
        let at: String = row["stop_requested_at"]
      else { return nil }
      return (at, row["stop_reason"] ?? "")
    }
  }
}
