import Foundation
import GRDB
import PluginKit

/// Asks a running stage to stop cleanly: the request is recorded on the run
/// (`stop_requested_at`, `stop_reason`; the first request wins) and the stop file
/// `<outputs>/.goldfish/stop_requested` is made to appear where the stage reads it
/// (goldfish.io's `should_stop()`). When the stage then exits, the run ends terminated with
/// cause `ai_stop` (StageFinalizer). A backend that implements `request_stop` (ABI 1.3) delivers
/// the file itself (gce through its agent's mailbox); for the others the host writes it, which
/// reaches the stage when the outputs folder is on this machine (process, docker, local workers).
public struct StopRequest: Sendable {
  public let store: ProjectStore
  /// The run backend, or nil where only the local file can be written.
  public let backend: RunBackendClient?

  public init(store: ProjectStore, backend: RunBackendClient?) {
    self.store = store
    self.backend = backend
  }

  public init(services: ExecutionServices) {
    self.init(store: services.project.store, backend: services.backendClient)
  }

  public static func file(workDir: String) -> String {
    StageIO.stopFile(outputsDir: RunLayout.outputsDir(workDir: workDir))
  }

  /// What a person or an agent asks for (`request_stop`, `goldfish stop`): the reason checked as
  /// every reason is, the run required to be running. Answers whether this request was the one
  /// recorded and when the run's stop was asked.
  public static func ask(
    _ runID: String, reason: String, services: ExecutionServices, by who: String
  ) throws(GoldfishError) -> (requested: Bool, at: String?) {
    let why = try Reason.validate(reason, minimum: services.project.settings.minReasonLength)
    let run = try RunQueries(services: services).run(runID)
    guard run.state == .running || run.state == .launching else {
      throw GoldfishError(
        .invalidArgument, "run \(runID) is \(run.state.rawValue); only a running run can be asked to stop",
        hint: "a run that ended needs no stop; cancel stops a run that is still preparing")
    }
    let requested = try StopRequest(services: services).request(run, reason: "\(who): \(why)")
    return (requested, try services.project.store.stopRequest(of: runID)?.at)
  }

  /// Records and delivers the request; false when the run is not running or already asked.
  @discardableResult
  public func request(_ run: StageRunRecord, reason: String) throws(GoldfishError) -> Bool {
    let recorded = try store.recordStopRequest(run.id, reason: reason)
    guard recorded else { return false }
    if let backend, backend.service.supports(RunBackendFunction.requestStop.rawValue),
      let handle = run.backendHandle.flatMap({ try? JSONCoding.parse($0) })
    {
      try deliver(run, reason: reason, handle: handle, through: backend)
      return true
    }
    guard let workDir = run.workDir else { return true }
    let path = Self.file(workDir: workDir)
    do {
      try FileManager.default.createDirectory(
        atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
      try Data((reason + "\n").utf8).write(to: URL(fileURLWithPath: path))
    } catch {
      throw GoldfishError(.ioFailed, "cannot write the stop file \(path): \(error.localizedDescription)")
    }
    return true
  }

  /// A request the backend could not pass on stays recorded and is said, never lost in silence.
  private func deliver(
    _ run: StageRunRecord, reason: String, handle: JSONValue, through backend: RunBackendClient
  ) throws(GoldfishError) {
    let problem: String?
    do {
      let answer = try backend.requestStop(RunStopRequest(handle: handle, reason: reason))
      problem = answer.delivered ? nil : "the job had already ended when the stop request reached it"
    } catch {
      problem = "the \(backend.service.info.name) backend could not deliver the stop request: \(error.error.message)"
    }
    guard let problem else { return }
    try store.addReview(
      SVSReview(
        stageRunID: run.id, kind: .duringRun, decision: .warned, reviewer: "stop_request",
        findings: [SVSFinding(check: "stop_not_delivered", severity: .warning, message: problem)]))
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
