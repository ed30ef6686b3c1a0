import Foundation
import PluginKit

/// Watches launched runs and finalises finished ones: outputs into object storage with their
/// hashes, lineage rows, metrics, logs, and the run's final state with its reason.
struct StageFinalizer {
  let services: ExecutionServices

  var project: Project { services.project }
  var store: ProjectStore { project.store }

  /// Checks a launching or running stage run against its backend.
  func poll(_ run: StageRunRecord) throws(GoldfishError) {
    guard let handle = run.backendHandle.flatMap({ try? JSONCoding.parse($0) }) else {
      // Launch was never attempted: the launcher died before storing a handle.
      try store.transition(
        run.id, .launchFail, TransitionContext(source: "executor", reason: "the launch was interrupted"))
      return
    }
    let status: RunStatus
    do {
      if run.state == .launching {
        // A launch interrupted between the backend's answer and our record of it.
        let recovered = try services.backend.call("recover", ["handle": handle], as: RecoveredRun.self)
        try store.transition(
          run.id, .launchOK, TransitionContext(source: "recovery"),
          update: ["backend_handle": try? JSONCoding.encode(recovered.handle)])
        status = recovered.status
      } else {
        status = try services.backend.call("status", ["handle": handle], as: RunStatus.self)
      }
    } catch let error as PluginCallError {
      if error.error.code == .notFound {
        try store.transition(
          run.id, run.state == .launching ? .launchFail : .exitMissing,
          TransitionContext(source: "executor", reason: "the backend has no trace of this run", confirmedGone: true))
        WarmRunEnd(pool: WarmPool(services: services)).runEnded(run.id, state: .terminated, source: "executor")
      }
      return
    } catch {
      return
    }
    guard status.state.isFinal else {
      FaultPoint.hit(.whileRunning)
      return
    }
    FaultPoint.hit(.afterCompletionBeforeFinalize)
    try settle(run, status: status, handle: handle)
  }

  /// Moves a run whose job ended to the state that says how.
  private func settle(_ run: StageRunRecord, status: RunStatus, handle: JSONValue) throws(GoldfishError) {
    let logTail = storeLogs(run, handle: handle)
    switch status.state {
    case .completed:
      try store.transition(run.id, .exitSuccess, TransitionContext(source: "backend", exitCode: status.exitCode ?? 0))
      guard let current = try store.stageRun(run.id) else { return }
      try finish(current)
    case .canceled:
      try store.transition(
        run.id, .userCancel, TransitionContext(source: "backend", reason: "canceled", exitCode: status.exitCode))
    case .terminated,
      .failed where status.terminationCause == .lost || status.terminationCause == .preemption:
      // A worker that died (or was preempted) under the job: the job did not fail, it was lost.
      let cause = status.terminationCause?.rawValue ?? "crashed"
      let message = "the job was stopped (\(cause))" + (logTail.isEmpty ? "" : "; last log lines:\n\(logTail)")
      try store.transition(
        run.id, cause == "timeout" ? .timeout : .instanceLost,
        TransitionContext(source: "backend", reason: message, exitCode: status.exitCode, terminationCause: cause),
        update: ["error": message])
    default:
      let code = status.exitCode.map { "exited with code \($0)" } ?? "failed"
      let message =
        "stage \(run.stage) \(code)" + (status.message.isEmpty ? "" : ": \(status.message)")
        + (logTail.isEmpty ? "" : "; last log lines:\n\(logTail)")
      try store.transition(
        run.id, .exitFailure, TransitionContext(source: "backend", reason: message, exitCode: status.exitCode),
        update: ["error": message])
    }
    if let handle = run.backendHandle.flatMap({ try? JSONCoding.parse($0) }) {
      _ = try? services.backend.call("cleanup", ["handle": handle])
    }
    let ended: StageRunState =
      switch status.state {
      case .completed: .completed
      case .canceled: .canceled
      case .terminated: .terminated
      // A worker that died or was preempted under the job is not given another one.
      case .failed where status.terminationCause == .lost || status.terminationCause == .preemption: .terminated
      default: .failed
      }
    WarmRunEnd(pool: WarmPool(services: services)).runEnded(run.id, state: ended, source: "executor")
  }

  /// post_run → completed: record outputs (critical), metrics and the run's outputs summary.
  func finish(_ run: StageRunRecord) throws(GoldfishError) {
    guard let workDir = run.workDir, let codeDir = try store.pipelineRun(run.pipelineRunID ?? "")?.codeDir else {
      try store.transition(run.id, .postRunFail, TransitionContext(source: "executor", reason: "the run has no folder"))
      return
    }
    let stage = try PipelineLoader.load(
      workspaceDirectory: codeDir, pipeline: run.pipeline == "pipeline" ? nil : run.pipeline
    )
    .stage(named: run.stage)
    do {
      let outputs = try OutputRecorder(services: services, run: run, outputsDir: workDir + "/outputs")
        .record(stage?.outputs ?? [])
      FaultPoint.hit(.afterOutputsBeforeMetrics)
      let metrics = MetricsFile.read(workDir + "/outputs/.goldfish/metrics.jsonl")
      try store.recordMetrics(run.id, metrics)
      let summary = JSONValue.object(
        Dictionary(uniqueKeysWithValues: outputs.map { ($0.signal, JSONValue.string($0.uri ?? "")) }))
      try store.transition(
        run.id, .postRunOK, TransitionContext(source: "executor"), update: ["outputs": try? JSONCoding.encode(summary)])
      try store.transition(run.id, .userFinalize, TransitionContext(source: "executor", reason: "outputs recorded"))
    } catch {
      let message = error.message + (error.hint.map { " (\($0))" } ?? "")
      try store.transition(
        run.id, .postRunFail, TransitionContext(source: "executor", reason: message, critical: true),
        update: ["error": message])
    }
  }

  /// Copies the job's log into storage (runs/<id>/logs/output.log) and returns its last lines.
  private func storeLogs(_ run: StageRunRecord, handle: JSONValue) -> String {
    guard let workDir = run.workDir else { return "" }
    let local = workDir + "/run.log"
    var offset: Int64 = 0
    FileManager.default.createFile(atPath: local, contents: nil)
    guard let file = FileHandle(forWritingAtPath: local) else { return "" }
    for _ in 0..<10_000 {
      guard
        let chunk = try? services.backend.call(
          "logs", ["handle": handle, "offset": .int(offset), "max_bytes": .int(1 << 20)], as: LogChunk.self)
      else { break }
      file.write(Data(chunk.text.utf8))
      if chunk.nextOffset <= offset || chunk.complete { break }
      offset = chunk.nextOffset
    }
    try? file.close()
    if let uri = try? services.storage.call("uri_for", ["key": .string("runs/\(run.id)/logs/output.log")])["uri"] {
      _ = try? services.storage.call("put_file", ["uri": uri, "path": .string(local)])
    }
    let text = (try? String(contentsOfFile: local, encoding: .utf8)) ?? ""
    return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(15).joined(separator: "\n")
      .trimmingCharacters(in: .whitespacesAndNewlines)
  }
}

/// Reads the metrics a stage logged through goldfish.io (metrics.jsonl).
enum MetricsFile {
  static func read(_ path: String) -> [MetricRecord] {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
    return text.split(separator: "\n").compactMap { line in
      guard let value = try? JSONCoding.parse(String(line)), value["type"]?.stringValue == "metric",
        let name = value["name"]?.stringValue, let timestamp = value["timestamp"]?.stringValue
      else { return nil }
      let number: Double? =
        switch value["value"] {
        case .int(let integer): Double(integer)
        case .double(let double): double
        default: nil
        }
      guard let number else { return nil }
      return MetricRecord(name: name, value: number, step: value["step"]?.intValue.map(Int.init), timestamp: timestamp)
    }
  }
}
