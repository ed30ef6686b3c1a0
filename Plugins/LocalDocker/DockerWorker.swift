import Foundation
import PluginKit
import PluginSupport

/// A warm worker of the docker backend: one long-lived container whose main process is
/// goldfish-agent (runner `process`: each job is a plain process group inside it), talking
/// to the backend through a file mailbox mounted into the container.
///
///   <state_dir>/warm/docker/mailbox/               the mailbox root (docs/warm-pool.md)
///   <state_dir>/warm/docker/workers/<worker_id>/   agent.json, work/ (the agent's scratch)
///   <state_dir>/warm/docker/agent-bundle-<key>/    goldfish-agent + its libraries (AgentBundle)
///
/// A container cannot get new mounts once it runs, so every folder is mounted once, at the
/// same path as on the host, and a job whose paths fall outside them is refused (`conflict`):
/// the host then launches it on a fresh worker.
struct DockerWorker {
  let id: String
  let folder: String
  let mailbox: FileMailboxStore

  static let label = "goldfish.warm-worker"
  static let shapeLabel = "goldfish.warm-shape"

  var containerName: String { "goldfish-warm-" + id }
  var configPath: String { folder + "/agent.json" }
  var workRoot: String { folder + "/work" }

  /// The handle the host persists: enough to find the worker again after a restart.
  func handle(containerID: String, socket: String) -> JSONValue {
    [
      "backend": "docker", "worker_id": .string(id), "mailbox": .string(mailbox.rootURI),
      "folder": .string(folder), "container_id": .string(containerID), "socket": .string(socket),
    ]
  }

  static func of(_ handle: JSONValue) throws(PluginError) -> DockerWorker {
    let fields = try LocalWorkerHandle(handle, backend: "docker")
    return DockerWorker(id: fields.id, folder: fields.folder, mailbox: fields.mailbox)
  }

  /// The container's id from the handle, else its name (the engine accepts either).
  static func container(of handle: JSONValue, worker: DockerWorker) -> String {
    handle["container_id"]?.stringValue ?? worker.containerName
  }

  var status: AgentWorkerStatus? {
    try? mailbox.getJSON(AgentWorkerStatus.self, MailboxLayout.status(worker: id))
  }

  /// Idle means: the agent says so and no unfinished job waits in its mailbox.
  func agentIsIdle() throws(PluginError) -> Bool {
    guard status?.state == .idle else { return false }
    for key in try mailbox.list(try MailboxLayout.jobsFolder(worker: id)) {
      guard let runId = MailboxLayout.runId(ofJobKey: key) else { continue }
      if try !mailbox.exists(try MailboxLayout.exit(run: runId)) { return false }
    }
    return true
  }

  // MARK: what a worker can run

  /// What every job on one worker shares: a worker runs one image with one network policy and
  /// one set of limits, so a job asking for others goes to another worker.
  static func shape(of spec: RunSpec) -> String {
    let profile = spec.profile
    let fields: [String: JSONValue] = [
      "image": .string(spec.image ?? ""), "network": .bool(profile?.network == true),
      "memory_mb": profile?.memoryMb.map { .int(Int64($0)) } ?? .null,
      "cpus": profile?.cpus.map { .double($0) } ?? .null,
      "pids": profile?.pids.map { .int(Int64($0)) } ?? .null,
    ]
    return (try? JSONCoding.encode(JSONValue.object(fields))) ?? ""
  }

  struct Mount: Equatable {
    var path: String
    var writable: Bool
    var bind: String { "\(path):\(path):\(writable ? "rw" : "ro")" }
  }

  /// A path a job needs inside the container, and whether it writes there.
  struct Need {
    var path: String
    var writable: Bool
    var what: String
  }

  /// Every host path a job uses, resolved: its folders, the stage IO library, its inputs.
  static func needs(of spec: RunSpec) throws(PluginError) -> [Need] {
    var needs = [Need(path: try real(spec.workDir, "work_dir"), writable: true, what: "work_dir")]
    if let outputs = spec.outputsDir {
      needs.append(Need(path: try real(outputs, "outputs_dir"), writable: true, what: "outputs_dir"))
    }
    if let code = spec.codeDir {
      needs.append(Need(path: try real(code, "code_dir"), writable: false, what: "code_dir"))
    }
    if let library = ContainerSpec.library(spec) {
      needs.append(Need(path: try real(library, "the stage IO library"), writable: false, what: "the stage IO library"))
    }
    for input in spec.inputs {
      guard let local = input.localPath else { continue }
      needs.append(Need(path: try real(local, "input \(input.name)"), writable: false, what: "input \(input.name)"))
    }
    return needs
  }

  /// The folders a new worker mounts for its first job and the jobs after it: the project
  /// read-only (local storage and datasets usually live there), the folder that holds the
  /// run folders read-write, and whatever else the first job needs that those do not cover.
  static func mounts(for spec: RunSpec, projectRoot: String?, own: [Mount]) throws(PluginError) -> [Mount] {
    var mounts = own
    if let projectRoot, let root = try? real(projectRoot, "the project") {
      mounts.append(Mount(path: root, writable: false))
    }
    let runs = POSIXFile.parent(of: try real(spec.workDir, "work_dir"))
    if runs != "/" { mounts.append(Mount(path: runs, writable: true)) }
    for need in try needs(of: spec) where uncovered(need, by: mounts) {
      mounts.append(Mount(path: need.path, writable: need.writable))
    }
    return mounts
  }

  /// The first need of `spec` the mounts do not cover, or nil when the job can run here.
  static func firstUncovered(_ spec: RunSpec, mounts: [Mount]) throws(PluginError) -> Need? {
    try needs(of: spec).first { uncovered($0, by: mounts) }
  }

  /// Covered by the deepest mount holding the path (a read-only one under a writable one wins).
  static func uncovered(_ need: Need, by mounts: [Mount]) -> Bool {
    let holders = mounts.filter { need.path == $0.path || need.path.hasPrefix($0.path == "/" ? "/" : $0.path + "/") }
    guard let deepest = holders.max(by: { $0.path.count < $1.path.count }) else { return true }
    return need.writable && !deepest.writable
  }

  /// The mounts of a container as the engine reports them.
  static func mounts(inspected container: JSONValue) -> [Mount] {
    (container["Mounts"]?.arrayValue ?? []).compactMap { mount in
      guard let path = mount["Destination"]?.stringValue else { return nil }
      return Mount(path: path, writable: mount["RW"]?.boolValue ?? false)
    }
  }

  static func real(_ path: String, _ what: String) throws(PluginError) -> String {
    try ContainerSpec.realPath(path, what: what)
  }

  // MARK: the container

  /// The container-create body: goldfish-agent as the main process, as the host's user (the
  /// files it writes in the mailbox and run folders are the host's to read and remove) with
  /// no capabilities, no network unless the profile asks, the profile's limits.
  func containerBody(
    spec: RunSpec, bundle: AgentBundle, mounts: [Mount], labels: [String: String]
  ) throws(PluginError)
    -> JSONValue
  {
    var host: [String: JSONValue] = [
      "Binds": .array(mounts.map { .string($0.bind) }),
      "NetworkMode": .string(spec.profile?.network == true ? "host" : "none"),
      "CapDrop": ["ALL"],
      "SecurityOpt": ["no-new-privileges"],
    ]
    if let memory = spec.profile?.memoryMb, memory > 0 {
      host["Memory"] = .int(Int64(memory) << 20)
      host["MemorySwap"] = .int(Int64(memory) << 20)
    }
    if let cpus = spec.profile?.cpus, cpus > 0 {
      host["NanoCpus"] = .int(Int64(min(cpus, Double(ProcessInfo.processInfo.activeProcessorCount)) * 1e9))
    }
    if let pids = spec.profile?.pids, pids > 0 { host["PidsLimit"] = .int(Int64(pids)) }
    var allLabels = labels
    allLabels.removeValue(forKey: "goldfish-run")  // the worker outlives its first run
    allLabels[Self.label] = id
    allLabels[Self.shapeLabel] = Self.shape(of: spec)
    if let project = labels["goldfish-project"] { allLabels["goldfish.project"] = project }
    return [
      "Image": .string(spec.image ?? ""),
      "Cmd": [.string(bundle.agent), "--config", .string(configPath)],
      "Entrypoint": .array([]),
      "Env": [
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/tmp",
        .string("LD_LIBRARY_PATH=" + bundle.libraries),
      ],
      "WorkingDir": "/",
      "User": .string("\(getuid()):\(getgid())"),
      "Labels": .object(allLabels.mapValues { .string($0) }),
      "Tty": false, "AttachStdout": false, "AttachStderr": false, "OpenStdin": false,
      "HostConfig": .object(host),
    ]
  }

  func writeConfig(_ config: AgentConfig) throws(PluginError) {
    try POSIXFile.makeDirectories(workRoot)
    let text = try JSONCoding.encode(config)
    try POSIXFile.atomicWrite(to: configPath, mode: 0o644) { (fd: Int32) throws(PluginError) in
      try POSIXFile.writeAll(fd, Array(text.utf8), configPath)
    }
  }
}
