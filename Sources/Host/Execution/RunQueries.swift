import Foundation
import PluginKit
import PluginSupport

/// Reading runs: details, logs and lineage, for `inspect`, `logs`, `lineage` and the MCP tools.
public struct RunQueries: Sendable {
  public let services: ExecutionServices
  var store: ProjectStore { services.project.store }

  public init(services: ExecutionServices) { self.services = services }

  public struct Details: Codable, Sendable {
    public var run: StageRunRecord
    public var transitions: [StageRunTransitionRecord]
    public var inputs: [SignalRecord]
    public var outputs: [SignalRecord]
    public var metrics: [String: Double]
    /// For a reused run: which run it stands for, and that its logs and outputs are that run's.
    public var reused: String?
  }

  /// What `logs` and `inspect` say of a run reused from `origin`.
  static func reuseNote(_ id: String, origin: String) -> String {
    "\(id) was reused from \(origin): nothing it depends on changed, so it did not run again; "
      + "its outputs and the log below are \(origin)'s"
  }

  public func run(_ id: String) throws(GoldfishError) -> StageRunRecord {
    guard let run = try store.stageRun(id) else {
      throw GoldfishError(.notFound, "no run \(RunIdentifiers.display(id))", hint: "list runs with goldfish runs")
    }
    return run
  }

  public func details(_ id: String) throws(GoldfishError) -> Details {
    let run = try run(id)
    let signals = try store.signals(of: id)
    // One summary row per metric, however long its series.
    let latest = Dictionary(
      try store.metricSummaries(of: id).map { ($0.name, $0.lastValue) }, uniquingKeysWith: { first, _ in first })
    return Details(
      run: run, transitions: try store.transitions(of: id), inputs: signals.filter { $0.direction == "input" },
      outputs: signals.filter { $0.direction == "output" }, metrics: latest,
      reused: run.reusedFrom.map { Self.reuseNote(id, origin: $0) })
  }

  /// Logs from the backend while the run is live, from storage once it was finalised.
  public func logs(_ id: String, offset: Int64 = 0, tail: Int? = nil) throws(GoldfishError) -> LogChunk {
    let run = try run(id)
    if let origin = run.reusedFrom, origin != id {
      return try reusedLogs(id, origin: origin, offset: offset, tail: tail)
    }
    if let handle = run.backendHandle.flatMap({ try? JSONCoding.parse($0) }) {
      let request =
        tail.map { RunLogsRequest(handle: handle, tail: $0) } ?? RunLogsRequest(handle: handle, offset: offset)
      if let chunk = try? services.backendClient.logs(request) {
        return chunk
      }
    }
    if let workDir = run.workDir, FileManager.default.fileExists(atPath: RunLayout.runLog(workDir: workDir)) {
      do {
        return try LogFile.read(
          path: RunLayout.runLog(workDir: workDir), request: LogRequest(offset: offset, tail: tail),
          finished: run.state.isSettled)
      } catch {
        throw GoldfishError(.ioFailed, "cannot read the log of \(id): \(error.message)")
      }
    }
    return LogChunk(text: "", nextOffset: offset, complete: run.state.isSettled)
  }

  /// A reused run never ran: its log is one line saying so, then the log of the run it stands
  /// for. Offsets count the note's bytes too, so reading on from `next_offset` works as usual.
  private func reusedLogs(_ id: String, origin: String, offset: Int64, tail: Int?) throws(GoldfishError) -> LogChunk {
    let note = "goldfish: " + Self.reuseNote(id, origin: origin) + "\n"
    let noteBytes = Int64(note.utf8.count)
    if tail != nil {
      let chunk = try logs(origin, tail: tail)
      return LogChunk(text: note + chunk.text, nextOffset: chunk.nextOffset + noteBytes, complete: chunk.complete)
    }
    if offset < noteBytes {
      let chunk = try logs(origin, offset: 0)
      let rest = String(decoding: Array(note.utf8).dropFirst(Int(offset)), as: UTF8.self)
      return LogChunk(text: rest + chunk.text, nextOffset: chunk.nextOffset + noteBytes, complete: chunk.complete)
    }
    let chunk = try logs(origin, offset: offset - noteBytes)
    return LogChunk(text: chunk.text, nextOffset: chunk.nextOffset + noteBytes, complete: chunk.complete)
  }

  /// Where a run's inputs came from, recursively up to the datasets.
  public func lineage(_ id: String, depth: Int = 10) throws(GoldfishError) -> JSONValue {
    let run = try run(id)
    let signals = try store.signals(of: id)
    var inputs: [JSONValue] = []
    for input in signals where input.direction == "input" {
      var entry: [String: JSONValue] = [
        "signal": .string(input.signal), "type": .string(input.signalType),
        "uri": input.uri.map { .string($0) } ?? .null,
      ]
      if let source = input.sourceName { entry["dataset"] = .string(source) }
      // A dataset made from a run's output leads upstream to that run, as a direct input does.
      var producer = input.sourceStageRunID
      if producer == nil, let name = input.sourceName { producer = try store.sourceIncludingDeleted(name)?.stageRunID }
      if let upstream = producer, depth > 0 { entry["from"] = try lineage(upstream, depth: depth - 1) }
      inputs.append(.object(entry))
    }
    let made = try RunLinks(store: store).madeSources(of: id)
    let outputs = signals.filter { $0.direction == "output" }.map { output -> JSONValue in
      [
        "signal": .string(output.signal), "type": .string(output.signalType),
        "uri": output.uri.map { .string($0) } ?? .null,
        "size_bytes": output.sizeBytes.map { .int($0) } ?? .null, "hash": output.hash.map { .string($0) } ?? .null,
        "sources": .array(made.filter { $0.outputName == output.signal }.map { .string($0.name) }),
      ]
    }
    let downstream = try RunLinks(store: store).consumers(of: id).map { link -> JSONValue in
      [
        "run": .string(link.runID), "signal": .string(link.signal),
        "via_source": link.viaSource.map { .string($0) } ?? .null,
      ]
    }
    return [
      "run": .string(run.id), "stage": .string(run.stage), "workspace": .string(run.workspace),
      "version": .string("v\(run.version)"), "state": .string(run.state.rawValue),
      "reused_from": run.reusedFrom.map { .string($0) } ?? .null, "inputs": .array(inputs), "outputs": .array(outputs),
      "downstream": .array(downstream),
    ]
  }
}
