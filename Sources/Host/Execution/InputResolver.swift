import Foundation
import PluginKit
import PluginSupport

/// One input of a stage, staged where the stage will read it.
struct ResolvedInput {
  var name: String
  var type: SignalType
  var format: String?
  var schema: JSONValue?
  /// The file or folder under the run's inputs folder.
  var localPath: String
  /// What the input is, for fingerprints: the upstream output's hash, or the dataset's URI.
  var identity: String
  var lineage: SignalRecord
}

/// Finds each input of a stage (a registered dataset, or an output of an upstream stage from
/// this pipeline run or the latest completed run of that stage) and stages it.
struct InputResolver {
  let services: ExecutionServices
  let pipelineRun: PipelineRunRecord
  let run: StageRunRecord

  var store: ProjectStore { services.project.store }

  func resolve(_ stage: StageDefinition, stagingDir: String) throws(GoldfishError) -> [ResolvedInput] {
    try makeFolder(stagingDir)
    let overrides = InputOverrides.stored(pipelineRun.inputsOverride)[stage.name] ?? [:]
    var resolved: [ResolvedInput] = []
    for input in stage.inputs {
      let target = stagingDir + "/" + input.name
      if let override = overrides[input.name] {
        resolved.append(try overridden(input, by: override, target: target))
      } else if let upstreamStage = input.fromStage {
        resolved.append(try fromUpstream(input, stage: upstreamStage, target: target))
      } else if let dataset = input.dataset {
        resolved.append(try fromDataset(input, dataset: dataset, target: target))
      } else {
        throw GoldfishError(
          .runRefused, "input \(input.name) of stage \(stage.name) names neither a dataset nor an upstream stage")
      }
    }
    return resolved
  }

  private func fromUpstream(
    _ input: SignalDefinition, stage upstream: String, target: String
  ) throws(GoldfishError)
    -> ResolvedInput
  {
    let signalName = input.signal ?? input.name
    let siblings = try store.stageRuns(ofPipelineRun: pipelineRun.id)
    let sibling = siblings.first { $0.stage == upstream && $0.state.succeeded }
    let latest = try store.latestCompletedRun(workspace: run.workspace, stage: upstream)
    guard let source = sibling ?? latest else {
      throw GoldfishError(
        .runRefused,
        "input \(input.name) needs output \(signalName) of stage \(upstream), which has never completed in workspace \(run.workspace)",
        hint: "run \(upstream) first, or run both: goldfish run \(run.workspace) \(upstream) \(run.stage) --reason …")
    }
    guard
      let output = try store.signals(of: source.id).first(where: { $0.direction == "output" && $0.signal == signalName }
      ),
      let uri = output.uri
    else {
      throw GoldfishError(.runRefused, "run \(source.id) of \(upstream) recorded no output \(signalName)")
    }
    let rerun = "goldfish run \(run.workspace) \(upstream) --rerun --reason …"
    return try staged(
      input, output, uri: uri, of: source, target: target, fix: "store it again by re-running the stage: \(rerun)")
  }

  /// Stages another run's recorded output as this input, lineage pointing at that run.
  private func staged(
    _ input: SignalDefinition, _ output: SignalRecord, uri: String, of source: StageRunRecord, target: String,
    fix: String
  ) throws(GoldfishError) -> ResolvedInput {
    try stage(
      uri: uri, at: target,
      recorded: Recorded(
        hash: output.hash, what: "output \(output.signal) of run \(source.id) (stage \(source.stage))", fix: fix))
    return ResolvedInput(
      name: input.name, type: input.type, format: input.format, schema: input.schema, localPath: target,
      identity: output.hash ?? uri,
      lineage: SignalRecord(
        stageRunID: run.id, signal: input.name, direction: "input", signalType: input.type.rawValue, uri: uri,
        sizeBytes: output.sizeBytes, hash: output.hash, sourceStageRunID: source.id))
  }

  /// An input the run's `inputs_override` points elsewhere: recorded in lineage like any other.
  private func overridden(
    _ input: SignalDefinition, by override: InputOverride, target: String
  ) throws(GoldfishError) -> ResolvedInput {
    switch override {
    case .source(let name):
      return try fromDataset(input, dataset: name, target: target)
    case .run(let id, let signal):
      guard let source = try store.stageRun(id) else {
        throw GoldfishError(.runRefused, "input \(input.name) is overridden with run \(id), which no longer exists")
      }
      let candidates = [source.id] + (source.reusedFrom.map { [$0] } ?? [])
      var found: SignalRecord?
      for candidate in candidates where found == nil {
        found = try store.signals(of: candidate).first {
          $0.direction == "output" && $0.signal == signal && $0.uri != nil
        }
      }
      guard let output = found, let uri = output.uri else {
        throw GoldfishError(.runRefused, "run \(id) of \(source.stage) recorded no output \(signal)")
      }
      return try staged(
        input, output, uri: uri, of: source, target: target,
        fix: "override \(input.name) with another run, or re-run \(source.stage)")
    case .location(let uri):
      var size: Int64?
      if uri.hasPrefix("file://") {
        let path = String(uri.dropFirst("file://".count))
        guard FileManager.default.fileExists(atPath: path) else {
          throw GoldfishError(.runRefused, "input \(input.name) is overridden with \(path), which no longer exists")
        }
        size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value
        try link(target, to: path)
      } else {
        try stage(uri: uri, at: target, recorded: nil)
      }
      return ResolvedInput(
        name: input.name, type: input.type, format: input.format, schema: input.schema, localPath: target,
        identity: "\(uri)#\(size ?? -1)",
        lineage: SignalRecord(
          stageRunID: run.id, signal: input.name, direction: "input", signalType: input.type.rawValue, uri: uri,
          sizeBytes: size))
    }
  }

  private func fromDataset(
    _ input: SignalDefinition, dataset: String, target: String
  ) throws(GoldfishError) -> ResolvedInput {
    guard let source = try store.source(dataset) else {
      throw GoldfishError(.runRefused, "input \(input.name) names dataset \(dataset), which is not registered")
    }
    if source.uri.hasPrefix("file://") {
      let path = String(source.uri.dropFirst("file://".count))
      guard FileManager.default.fileExists(atPath: path) else {
        throw GoldfishError(.runRefused, "dataset \(dataset) is registered at \(path), which no longer exists")
      }
      try link(target, to: path)
    } else {
      try stage(uri: source.uri, at: target, recorded: nil)
    }
    return ResolvedInput(
      name: input.name, type: input.type, format: input.format, schema: input.schema, localPath: target,
      identity: "\(source.uri)#\(source.sizeBytes ?? -1)",
      lineage: SignalRecord(
        stageRunID: run.id, signal: input.name, direction: "input", signalType: input.type.rawValue, uri: source.uri,
        sizeBytes: source.sizeBytes, sourceName: dataset))
  }

  /// What lineage recorded about a stored object: the stage reads it only if it still matches.
  struct Recorded {
    /// "sha256:<hex>" of a file; of a folder, the SHA-256 of its "relative:hex\n" listing.
    var hash: String?
    var what: String
    var fix: String
  }

  /// A stored object or folder (a URI ending in "/") made available at `target` as a copy
  /// (never a link: a stage must not be able to change what is stored), checked against
  /// its recorded hash.
  private func stage(uri: String, at target: String, recorded: Recorded?) throws(GoldfishError) {
    let storage = services.storageClient
    if !uri.hasSuffix("/") {
      let actual = try fetch(uri, to: target)
      try verify(uri, actual: actual, recorded: recorded)
      return
    }
    try makeFolder(target)
    var listing: [(String, String)] = []
    var token: String?
    repeat {
      let page: ObjectListing
      do {
        page = try storage.list(ListObjectsRequest(prefix: uri, pageToken: token))
      } catch {
        throw ExecutionServices.failure(error, while: "cannot list \(uri)")
      }
      for object in page.objects {
        let relative = String(object.uri.dropFirst(uri.count))
        listing.append((relative, try fetch(object.uri, to: target + "/" + relative)))
      }
      token = page.nextPageToken
    } while token != nil
    // The folder's recorded hash is that of its sorted "relative:hex" listing (OutputRecorder).
    let text = listing.sorted { $0.0 < $1.0 }.map { "\($0.0):\($0.1)\n" }.joined()
    try verify(uri, actual: SHA256Hasher.hex(of: Array(text.utf8)), recorded: recorded)
  }

  /// The stage's own copy of one stored object; returns its SHA-256 (hex).
  private func fetch(_ uri: String, to path: String) throws(GoldfishError) -> String {
    let storage = services.storageClient
    try makeFolder((path as NSString).deletingLastPathComponent)
    if storage.service.supports("local_path"), let local = try? storage.localPath(uri: uri) {
      return try StoredObjectCopy.copy(local, to: path).sha256
    }
    do {
      _ = try storage.getFile(uri: uri, path: path)
    } catch {
      throw ExecutionServices.failure(error, while: "cannot fetch \(uri)")
    }
    return try StoredObjectCopy.seal(path).sha256
  }

  /// Damage to a stored object (a disk fault, a hand edit, a stage that once wrote through a
  /// link) is caught here, before any stage reads it, rather than passed downstream.
  private func verify(_ uri: String, actual: String, recorded: Recorded?) throws(GoldfishError) {
    guard let recorded, let hash = recorded.hash, hash.hasPrefix("sha256:") else { return }
    let expected = String(hash.dropFirst("sha256:".count))
    guard actual != expected else { return }
    throw GoldfishError(
      .storedObjectDamaged,
      "\(recorded.what) changed after it was stored: \(uri) has SHA-256 \(actual) but lineage recorded \(expected); "
        + "stage \(run.stage) was not started so the damage goes no further",
      hint: recorded.fix,
      detail: ["uri": .string(uri), "sha256": .string(actual), "recorded_sha256": .string(expected)])
  }

  private func link(_ path: String, to destination: String) throws(GoldfishError) {
    try? FileManager.default.removeItem(atPath: path)
    do {
      try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: destination)
    } catch {
      throw GoldfishError(.ioFailed, "cannot stage \(destination) at \(path): \(error.localizedDescription)")
    }
  }

  private func makeFolder(_ path: String) throws(GoldfishError) {
    do {
      try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    } catch {
      throw GoldfishError(.ioFailed, "cannot create \(path): \(error.localizedDescription)")
    }
  }
}
