import Foundation
import PluginKit
import PluginSupport

/// `docker` backend: each run is one container of the local engine, labelled with its run
/// id. Containers outlive the goldfish process that started them; the run's work_dir keeps
/// what is needed to answer for them later (see ContainerRecord).
final class DockerBackend: WarmReuseBackend, @unchecked Sendable {
  static let serviceName = "docker"
  static let capabilities = RunBackendCapabilities(
    isolation: "container", gpu: false, spot: false, networkPolicy: true, resourceLimits: [.memoryMB, .cpus, .pids],
    logs: .offset, recover: true, warmReuse: true, warmMatch: ["image"], needsImage: true
  ).json
  static let stopGraceSeconds = 5

  let engine: DockerEngine
  let configuredAgent: String?
  /// The project's hidden folder: warm workers and their mailbox live below it.
  let stateDir: String?
  let projectRoot: String?

  static func checkConfig(_ config: JSONValue, context: ServiceContext) -> ConfigReport? {
    DockerSettings.report(config)
  }

  init(config: JSONValue, context: ServiceContext) throws(PluginError) {
    let settings = try DockerSettings(config: config)
    PluginLog.settingsInEffect(Self.serviceName, settings.effective)
    engine = DockerEngine(socket: settings.socket)
    configuredAgent = settings.agent
    stateDir = context.stateDir ?? context.projectRoot.map { $0 + "/.goldfish" }
    projectRoot = context.projectRoot
  }

  func launch(_ spec: RunSpec) throws(PluginError) -> JSONValue {
    try Self.validate(spec)
    if let worker = spec.worker, worker.keepWarm { return try launchWarm(spec, options: worker) }
    let record = ContainerRecord(workDir: spec.workDir)
    if record.launch != nil {
      throw PluginError(.alreadyExists, "run \(spec.runId) was already launched in \(spec.workDir)")
    }
    try POSIXFile.makeDirectories(spec.workDir)
    if let outputs = spec.outputsDir {
      try POSIXFile.makeDirectories(outputs)
      // The stage runs as 1000:1000 and must be able to write its outputs.
      if chown(outputs, 1000, 1000) != 0 { chmod(outputs, 0o777) }
    }
    let body = try ContainerSpec.body(spec, image: spec.image ?? "")
    let created = try engine.request(
      "POST", "/containers/create?name=\(Self.containerName(spec.runId).queryEscaped)", json: body, accept: [201])
    guard let id = try created.json()["Id"]?.stringValue else {
      throw PluginError(.internal, "the Docker engine created a container without an id: \(created.text)")
    }
    try record.saveLaunch(
      .init(containerID: id, startedAt: Date().timeIntervalSince1970, timeoutSeconds: spec.timeoutSeconds))
    do {
      try engine.request("POST", "/containers/\(id)/start", accept: [204, 304])
    } catch {
      _ = try? engine.request("DELETE", "/containers/\(id)?force=1", accept: [204, 404])
      throw error
    }
    return handle(runId: spec.runId, workDir: spec.workDir, containerID: id)
  }

  func status(handle: JSONValue) throws(PluginError) -> RunStatus {
    if let warm = try DockerWarmRun.of(handle) { return try warmStatus(warm) }
    let record = try ContainerRecord.of(handle)
    if let final = record.finalStatus { return final }
    guard let id = handle["container_id"]?.stringValue ?? record.launch?.containerID else {
      throw PluginError(.notFound, "run \(handle["run_id"]?.stringValue ?? "?") has no container")
    }
    guard var state = try inspect(id) else {
      // Removed by someone else before we saw it end.
      if let final = record.finalStatus { return final }
      return RunStatus(state: .failed, terminationCause: .lost, message: "the container \(id) vanished")
    }
    if state["Running"]?.boolValue == true, let launch = record.launch, let limit = launch.timeoutSeconds,
      Date().timeIntervalSince1970 - launch.startedAt > Double(limit)
    {
      try record.recordStop(.timeout)
      try stop(id)
      state = try inspect(id) ?? state
    }
    let status = Self.status(of: state, stopReason: record.stopReason)
    if status.state.isFinal {
      // Keep the logs and the outcome with the run: the container will be removed.
      try syncLogs(id: id, record: record)
      try record.saveFinal(status)
    }
    return status
  }

  func logs(handle: JSONValue, request: LogRequest) throws(PluginError) -> LogChunk {
    if let warm = try DockerWarmRun.of(handle) {
      return try warm.logs(request, finished: try warmStatus(warm).state.isFinal)
    }
    let record = try ContainerRecord.of(handle)
    if record.finalStatus != nil {
      return try LogFile.read(path: record.logPath, request: request, finished: true)
    }
    if let id = handle["container_id"]?.stringValue ?? record.launch?.containerID {
      try syncLogs(id: id, record: record)
    }
    let finished = try status(handle: handle).state.isFinal
    return try LogFile.read(path: record.logPath, request: request, finished: finished)
  }

  func cancel(handle: JSONValue, reason: String?) throws(PluginError) {
    if let warm = try DockerWarmRun.of(handle) { return try warm.cancel(reason: reason) }
    let record = try ContainerRecord.of(handle)
    guard record.finalStatus == nil, let id = handle["container_id"]?.stringValue ?? record.launch?.containerID else {
      return
    }
    guard let state = try inspect(id), state["Status"]?.stringValue != "exited" else { return }
    try record.recordStop(.user)
    try stop(id)
  }

  func cleanup(handle: JSONValue) throws(PluginError) {
    if let warm = try DockerWarmRun.of(handle) {
      return try warm.cleanup { () throws(PluginError) in try containerRunning(warm.container) }
    }
    let record = try ContainerRecord.of(handle)
    var found = handle["container_id"]?.stringValue ?? record.launch?.containerID
    if found == nil { found = try findContainer(handle) }
    guard let id = found else { return }
    if record.finalStatus == nil, let state = try inspect(id) {
      if state["Running"]?.boolValue == true {
        try record.recordStop(.user)
        try stop(id)
      }
      _ = try status(
        handle: self.handle(runId: handle["run_id"]?.stringValue ?? "", workDir: record.workDir, containerID: id))
    }
    try engine.request("DELETE", "/containers/\(id)?force=1&v=1", accept: [204, 404])
  }

  func recover(handle: JSONValue) throws(PluginError) -> RecoveredRun {
    if let warm = try DockerWarmRun.of(handle) { return RecoveredRun(handle: handle, status: try warmStatus(warm)) }
    let record = try ContainerRecord.of(handle)
    var current = handle
    if current["container_id"]?.stringValue == nil {
      var found = record.launch?.containerID
      if found == nil { found = try findContainer(handle) }
      guard let id = found else {
        throw PluginError(
          .notFound, "no container of run \(handle["run_id"]?.stringValue ?? "?") exists",
          detail: ["work_dir": .string(record.workDir)])
      }
      current = self.handle(runId: handle["run_id"]?.stringValue ?? "", workDir: record.workDir, containerID: id)
      if record.launch == nil {
        try record.saveLaunch(.init(containerID: id, startedAt: Date().timeIntervalSince1970, timeoutSeconds: nil))
      }
    }
    if let id = current["container_id"]?.stringValue, record.finalStatus == nil,
      let state = try inspect(id), state["Status"]?.stringValue == "created"
    {
      // Created, but the launcher died before starting it.
      try engine.request("POST", "/containers/\(id)/start", accept: [204, 304])
    }
    return RecoveredRun(handle: current, status: try status(handle: current))
  }

  // MARK: engine helpers

  private func handle(runId: String, workDir: String, containerID: String) -> JSONValue {
    [
      "run_id": .string(runId), "backend": "docker", "work_dir": .string(workDir),
      "container_id": .string(containerID), "socket": .string(engine.socket),
    ]
  }

  static func containerName(_ runId: String) -> String { "goldfish-" + runId }

  /// The container's State, or nil when it does not exist.
  private func inspect(_ id: String) throws(PluginError) -> JSONValue? {
    let response = try engine.request("GET", "/containers/\(id)/json", accept: [200, 404])
    guard response.status == 200 else { return nil }
    return try response.json()["State"]
  }

  private func stop(_ id: String) throws(PluginError) {
    try engine.request(
      "POST", "/containers/\(id)/stop?t=\(Self.stopGraceSeconds)", accept: [204, 304, 404],
      timeoutSeconds: Self.stopGraceSeconds + 30)
  }

  /// The id of the container labelled with the handle's run id.
  private func findContainer(_ handle: JSONValue) throws(PluginError) -> String? {
    guard let runId = handle["run_id"]?.stringValue else { return nil }
    let filters = try JSONCoding.encode(JSONValue.object(["label": .array([.string("goldfish.run-id=\(runId)")])]))
    let list = try engine.request("GET", "/containers/json?all=1&filters=\(filters.queryEscaped)").json()
    return list.arrayValue?.first?["Id"]?.stringValue
  }

  /// Copies the container's whole log, demultiplexed, into output.log (atomically, so a
  /// concurrent reader sees the previous copy or the new one). Callers racing on the same run
  /// (status and logs from several threads or host processes) each write their own temporary
  /// file and rename it over output.log: the last complete copy wins, no caller fails.
  private func syncLogs(id: String, record: ContainerRecord) throws(PluginError) {
    let request = HTTPRequest("GET", engine.url("/containers/\(id)/logs?stdout=1&stderr=1"), timeoutSeconds: 300)
    var demuxer = LogDemuxer()
    var status = 0
    do {
      try POSIXFile.atomicWrite(to: record.logPath) { (fd) throws(PluginError) in
        var failure: PluginError?
        let response = try engine.stream(request) { chunk in
          do {
            try POSIXFile.writeAll(fd, demuxer.feed(chunk), record.logPath)
            return true
          } catch let error as PluginError {
            failure = error
            return false
          } catch {
            return false
          }
        }
        status = response.status
        if let failure { throw failure }
        // Not a log: keep the copy output.log already holds.
        if status != 200 { throw PluginError(.unavailable, "") }
      }
    } catch {
      if status == 200 || status == 0 { throw error }
    }
    guard status == 200 || status == 404 else {
      throw PluginError(.unavailable, "the Docker engine did not return the logs of \(id) (status \(status))")
    }
  }

  static func status(of state: JSONValue, stopReason: TerminationCause?) -> RunStatus {
    let started = state["StartedAt"]?.stringValue.flatMap { $0.hasPrefix("0001") ? nil : $0 }
    let finished = state["FinishedAt"]?.stringValue.flatMap { $0.hasPrefix("0001") ? nil : $0 }
    let code = state["ExitCode"]?.intValue.map(Int.init)
    let error = state["Error"]?.stringValue ?? ""
    switch state["Status"]?.stringValue ?? "" {
    case "created": return RunStatus(state: .pending, message: "the container was created but not started")
    case "running", "paused", "restarting", "removing":
      return RunStatus(state: .running, startedAt: started)
    default: break
    }
    if stopReason == .user {
      return RunStatus(
        state: .canceled, exitCode: code, terminationCause: .user, message: "canceled", startedAt: started,
        finishedAt: finished)
    }
    if stopReason == .timeout {
      return RunStatus(
        state: .terminated, exitCode: code, terminationCause: .timeout, message: "stopped: the time limit was reached",
        startedAt: started, finishedAt: finished)
    }
    if state["OOMKilled"]?.boolValue == true {
      return RunStatus(
        state: .terminated, exitCode: code, terminationCause: .oom, message: "the container ran out of memory",
        startedAt: started, finishedAt: finished)
    }
    if !error.isEmpty {
      return RunStatus(
        state: .failed, exitCode: code, terminationCause: .error, message: error, startedAt: started,
        finishedAt: finished)
    }
    return RunStatus(
      state: code == 0 ? .completed : .failed, exitCode: code, terminationCause: .exit, startedAt: started,
      finishedAt: finished)
  }

  static func validate(_ spec: RunSpec) throws(PluginError) {
    guard let image = spec.image, !image.isEmpty else {
      throw PluginError(
        .invalidArgument, "the docker backend needs an image in the run spec (capabilities.needs_image)")
    }
    guard !spec.command.isEmpty, !spec.command[0].isEmpty else {
      throw PluginError(.invalidArgument, "the run spec has an empty command")
    }
    guard spec.workDir.hasPrefix("/") else {
      throw PluginError(.invalidArgument, "work_dir must be an absolute path, got \(spec.workDir)")
    }
    if let timeout = spec.timeoutSeconds, timeout <= 0 {
      throw PluginError(.invalidArgument, "timeout_seconds must be positive, got \(timeout); leave it out for no limit")
    }
    for key in spec.env.keys where !Spawn.isValidEnvironmentKey(key) {
      throw PluginError(.invalidArgument, "environment key \(key.debugDescription) is not [A-Za-z_][A-Za-z0-9_]*")
    }
    let runIdOK = spec.runId.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
    guard runIdOK, !spec.runId.isEmpty else {
      throw PluginError(.invalidArgument, "run_id \(spec.runId.debugDescription) is not [A-Za-z0-9_.-]+")
    }
  }
}
