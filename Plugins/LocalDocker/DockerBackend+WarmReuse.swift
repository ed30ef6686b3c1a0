import Foundation
import PluginKit
import PluginSupport

/// Warm reuse for docker runs: each worker is a long-lived container running goldfish-agent
/// (docs/warm-pool.md). The host decides which worker gets a job and when one goes; this only
/// does the mechanics.
extension DockerBackend {
  var warmRoot: String {
    get throws(PluginError) {
      guard let stateDir else {
        throw PluginError(
          .unsupported, "warm workers need a project: the docker backend was opened without a state folder")
      }
      return stateDir + "/warm/docker"
    }
  }

  func warmMailbox() throws(PluginError) -> FileMailboxStore {
    try FileMailboxStore(root: try warmRoot + "/mailbox")
  }

  /// goldfish-agent: docker.agent in goldfish.yaml, else next to this plugin or the goldfish executable.
  func agentBinary() throws(PluginError) -> String {
    var candidates: [String] = []
    if let configuredAgent { candidates.append(configuredAgent) }
    if let folder = PluginLocation.folder {
      candidates += [folder + "/goldfish-agent", folder + "/../../../bin/goldfish-agent"]
    }
    if let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
      candidates.append(URL(fileURLWithPath: executable).deletingLastPathComponent().path + "/goldfish-agent")
    }
    guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
      throw PluginError(
        .invalidArgument,
        "cannot find goldfish-agent, which runs warm containers; looked in: \(candidates.joined(separator: ", "))",
        detail: ["hint": "install it next to goldfish or set docker.agent in goldfish.yaml"])
    }
    return found
  }

  /// The job a run spec becomes on a worker; its paths are the host's, mounted at the same place.
  func warmJob(for spec: RunSpec, preservePaths: [String]) throws(PluginError) -> AgentJob {
    var job = AgentJob(spec: spec)
    job.preservePaths = preservePaths
    // The host staged local inputs already, and they are mounted: a link, not a copy.
    job.inputs = job.inputs.map { AgentInput(name: $0.name, source: $0.source, link: true) }
    try job.validate()
    return job
  }

  func prepareRunFolders(_ spec: RunSpec) throws(PluginError) {
    try POSIXFile.makeDirectories(spec.workDir)
    if let outputs = spec.outputsDir { try POSIXFile.makeDirectories(outputs) }
  }

  /// Refuses a run id that any worker has already seen: one run id runs at most once.
  func refuseKnownRun(_ runId: String, in mailbox: FileMailboxStore) throws(PluginError) {
    try WorkerIdentifier.validate(runId, "run id")
    let claimed = try mailbox.exists(try MailboxLayout.claimed(run: runId))
    let exited = try mailbox.exists(try MailboxLayout.exit(run: runId))
    if claimed || exited {
      throw PluginError(
        .alreadyExists, "run \(runId) was already delivered to a worker", detail: ["run_id": .string(runId)])
    }
  }

  func launchWarm(_ spec: RunSpec, options: WorkerOptions) throws(PluginError) -> JSONValue {
    let root = try warmRoot
    let mailbox = try warmMailbox()
    try POSIXFile.makeDirectories(mailbox.root)
    try refuseKnownRun(spec.runId, in: mailbox)
    let workerId = options.workerId ?? "docker-" + UUID().uuidString.lowercased().prefix(12)
    try WorkerIdentifier.validate(workerId, "worker id")
    let worker = DockerWorker(id: workerId, folder: root + "/workers/" + workerId, mailbox: mailbox)
    if try inspectContainer(worker.containerName) != nil {
      throw PluginError(
        .alreadyExists, "worker \(workerId) was already started", detail: ["worker_id": .string(workerId)])
    }
    let bundle = try AgentBundle.prepare(binary: try agentBinary(), cache: root)
    try prepareRunFolders(spec)
    let config = AgentConfig(
      workerId: workerId, mailbox: mailbox.rootURI, workRoot: worker.workRoot,
      idleTimeoutSeconds: options.idleTimeoutSeconds, lifetimeSeconds: options.lifetimeSeconds,
      preservePaths: options.preservePaths, pollIntervalMs: AgentConfig.localPollIntervalMs, labels: spec.labels)
    try config.validate()
    try worker.writeConfig(config)
    let own = [
      DockerWorker.Mount(path: try DockerWorker.real(mailbox.root, "the mailbox"), writable: true),
      DockerWorker.Mount(path: try DockerWorker.real(worker.folder, "the worker folder"), writable: true),
      DockerWorker.Mount(path: try DockerWorker.real(bundle.folder, "the agent bundle"), writable: false),
    ]
    let mounts = try DockerWorker.mounts(for: spec, projectRoot: projectRoot, own: own)
    var labels = spec.labels
    labels["goldfish.warm-folder"] = worker.folder
    labels["goldfish.warm-mailbox"] = mailbox.rootURI
    let body = try worker.containerBody(spec: spec, bundle: bundle, mounts: mounts, labels: labels)
    // The first job waits in the mailbox before the agent starts, so it is its first pick.
    try mailbox.putJSON(
      try MailboxLayout.job(worker: workerId, run: spec.runId), try warmJob(for: spec, preservePaths: []))
    do {
      let id = try createAndStart(worker, body: body)
      return warmHandle(spec, worker: worker.handle(containerID: id, socket: engine.socket))
    } catch {
      // No worker: the job must not wait for one.
      try? mailbox.delete(try MailboxLayout.job(worker: workerId, run: spec.runId))
      throw error
    }
  }

  private func createAndStart(_ worker: DockerWorker, body: JSONValue) throws(PluginError) -> String {
    let created: HTTPResponse
    do {
      created = try engine.request(
        "POST", "/containers/create?name=\(worker.containerName.queryEscaped)", json: body, accept: [201])
    } catch  where error.code == .conflict {
      throw PluginError(.alreadyExists, "worker \(worker.id) was already started: \(error.message)")
    }
    guard let id = try created.json()["Id"]?.stringValue else {
      throw PluginError(.internal, "the Docker engine created a container without an id: \(created.text)")
    }
    do {
      try engine.request("POST", "/containers/\(id)/start", accept: [204, 304])
    } catch {
      _ = try? engine.request("DELETE", "/containers/\(id)?force=1", accept: [204, 404])
      throw error
    }
    return id
  }

  func warmHandle(_ spec: RunSpec, worker: JSONValue) -> JSONValue {
    ["run_id": .string(spec.runId), "backend": "docker", "work_dir": .string(spec.workDir), "worker": worker]
  }

  func deliverJob(worker handle: JSONValue, spec: RunSpec) throws(PluginError) -> JSONValue {
    try Self.validate(spec)
    let worker = try DockerWorker.of(handle)
    let container = DockerWorker.container(of: handle, worker: worker)
    guard let inspected = try inspectContainer(container) else {
      throw PluginError(.conflict, "worker \(worker.id)'s container is gone; nothing was delivered")
    }
    guard inspected["State"]?["Running"]?.boolValue == true else {
      throw PluginError(.conflict, "worker \(worker.id)'s container is not running; nothing was delivered")
    }
    let shape = inspected["Config"]?["Labels"]?[DockerWorker.shapeLabel]?.stringValue
    guard shape == DockerWorker.shape(of: spec) else {
      throw PluginError(
        .conflict,
        "worker \(worker.id) runs \(inspected["Config"]?["Image"]?.stringValue ?? "another image") with other limits "
          + "than run \(spec.runId) asks for (image \(spec.image ?? "")); nothing was delivered",
        detail: ["worker_shape": .string(shape ?? ""), "run_shape": .string(DockerWorker.shape(of: spec))])
    }
    guard try worker.agentIsIdle() else {
      throw PluginError(
        .conflict,
        "worker \(worker.id) is not idle (\(worker.status?.state.rawValue ?? "no status yet")); nothing was delivered")
    }
    try prepareRunFolders(spec)
    if let need = try DockerWorker.firstUncovered(spec, mounts: DockerWorker.mounts(inspected: inspected)) {
      throw PluginError(
        .conflict,
        "worker \(worker.id) cannot see \(need.what) at \(need.path)\(need.writable ? " (writable)" : ""): "
          + "a container gets its mounts once; nothing was delivered",
        detail: ["path": .string(need.path)])
    }
    try refuseKnownRun(spec.runId, in: worker.mailbox)
    let job = try warmJob(for: spec, preservePaths: spec.worker?.preservePaths ?? [])
    try worker.mailbox.putJSON(try MailboxLayout.job(worker: worker.id, run: spec.runId), job)
    return warmHandle(
      spec, worker: worker.handle(containerID: inspected["Id"]?.stringValue ?? container, socket: engine.socket))
  }

  func probeWorker(_ handle: JSONValue) throws(PluginError) -> WorkerProbe {
    let worker = try DockerWorker.of(handle)
    let inspected: JSONValue?
    do {
      inspected = try inspectContainer(DockerWorker.container(of: handle, worker: worker))
    } catch {
      return WorkerProbe(
        liveness: .error, message: "could not ask the engine about worker \(worker.id): \(error.message)")
    }
    guard let inspected else {
      return WorkerProbe(liveness: .notFound, message: "worker \(worker.id)'s container does not exist")
    }
    let status = worker.status
    guard inspected["State"]?["Running"]?.boolValue == true else {
      return WorkerProbe(
        liveness: .dead, state: "stopping", runId: status?.runId,
        message: "worker \(worker.id)'s container is \(inspected["State"]?["Status"]?.stringValue ?? "not running")")
    }
    return try .alive(status: status, mailbox: worker.mailbox)
  }

  /// Stops the container (the agent records a job it was running as lost), removes it, and
  /// confirms only once the engine no longer knows it; then its folder goes. Idempotent.
  func deleteWorker(_ handle: JSONValue) throws(PluginError) -> Bool {
    let worker = try DockerWorker.of(handle)
    let container = DockerWorker.container(of: handle, worker: worker)
    if let inspected = try inspectContainer(container) {
      if inspected["State"]?["Running"]?.boolValue == true {
        try engine.request(
          "POST", "/containers/\(container)/stop?t=\(Self.stopGraceSeconds)", accept: [204, 304, 404],
          timeoutSeconds: Self.stopGraceSeconds + 30)
      }
      try engine.request("DELETE", "/containers/\(container)?force=1&v=1", accept: [204, 404, 409])
      if try inspectContainer(container) != nil { return false }
    }
    if FileManager.default.fileExists(atPath: worker.folder) {
      do {
        try FileManager.default.removeItem(atPath: worker.folder)
      } catch {
        throw PluginError(
          .io, "worker \(worker.id) is gone but its folder could not be removed: \(error.localizedDescription)")
      }
    }
    try? worker.mailbox.delete(try MailboxLayout.status(worker: worker.id))
    return true
  }

  func listWorkers(labels: [String: String]) throws(PluginError) -> [JSONValue] {
    let filters = [DockerWorker.label] + labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
    let query = try JSONCoding.encode(JSONValue.object(["label": .array(filters.map { .string($0) })]))
    let list = try engine.request("GET", "/containers/json?all=1&filters=\(query.queryEscaped)").json()
    return (list.arrayValue ?? []).compactMap { container -> JSONValue? in
      let containerLabels = container["Labels"]
      guard let id = containerLabels?[DockerWorker.label]?.stringValue, WorkerIdentifier.isValid(id),
        let folder = containerLabels?["goldfish.warm-folder"]?.stringValue,
        let mailbox = containerLabels?["goldfish.warm-mailbox"]?.stringValue,
        let containerID = container["Id"]?.stringValue,
        let worker = try? DockerWorker(id: id, folder: folder, mailbox: FileMailboxStore(uri: mailbox))
      else { return nil }
      return worker.handle(containerID: containerID, socket: engine.socket)
    }
  }

  // MARK: runs on a worker

  /// Whether the worker's container runs; an engine that cannot answer throws (never "dead").
  func containerRunning(_ container: String) throws(PluginError) -> Bool {
    try inspectContainer(container)?["State"]?["Running"]?.boolValue == true
  }

  func warmStatus(_ run: DockerWarmRun) throws(PluginError) -> RunStatus {
    try run.status { () throws(PluginError) in try containerRunning(run.container) }
  }

  /// The whole container as the engine describes it, or nil when it does not exist.
  func inspectContainer(_ container: String) throws(PluginError) -> JSONValue? {
    let response = try engine.request("GET", "/containers/\(container.queryEscaped)/json", accept: [200, 404])
    guard response.status == 200 else { return nil }
    return try response.json()
  }
}
