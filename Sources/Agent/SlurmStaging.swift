import CAgentSupport
import Foundation
import PluginKit
import PluginSupport

/// The slurm backend's `data: object-storage` mode (docs/slurm.md): the cluster sees none of
/// the host's folders, so a run travels through the project's object storage, in the same
/// mailbox layout a warm worker uses (docs/warm-pool.md), under `<storage>/slurm/`.
///
///   goldfish-agent slurm-stage   --mailbox URI --scratch DIR --spec FILE [--options JSON]
///       on the host, at launch: uploads the code and the host-only inputs, writes the job.
///   goldfish-agent slurm-job     --mailbox URI --run ID --scratch DIR [--options JSON]
///       the Slurm job's only step, on the node: stages the inputs into node-local scratch,
///       runs the stage, uploads its log, metrics and outputs, and writes the exit record last.
///   goldfish-agent slurm-collect --mailbox URI --run ID --work DIR [--outputs DIR] [--options JSON]
///       on the host, at each status poll: brings the log and metrics home, and once the exit
///       record is there the outputs, then the record itself (so it is the last thing to land).
enum SlurmStaging {
  static let commands: Set<String> = ["slurm-stage", "slurm-job", "slurm-collect", "slurm-clean"]
  /// The run's code travels as this input; its staged folder is the stage's working directory.
  static let codeInput = "goldfish-code"
  /// What slurm-collect leaves in the run's work folder, read by the backend.
  static let exitRecordName = "slurm-agent-exit.json"
  static let logName = "slurm-output.log"

  struct Arguments {
    var values: [String: String] = [:]

    init(_ words: [String]) throws(PluginError) {
      var index = 0
      while index < words.count {
        let word = words[index]
        guard word.hasPrefix("--"), index + 1 < words.count else {
          throw PluginError(.invalidArgument, "expected --NAME VALUE, got \(word.debugDescription)")
        }
        values[String(word.dropFirst(2))] = words[index + 1]
        index += 2
      }
    }

    func required(_ name: String) throws(PluginError) -> String {
      guard let value = values[name], !value.isEmpty else {
        throw PluginError(.invalidArgument, "--\(name) is required")
      }
      return value
    }

    func path(_ name: String) throws(PluginError) -> String {
      let value = try required(name)
      guard value.hasPrefix("/"), !value.split(separator: "/").contains("..") else {
        throw PluginError(.invalidArgument, "--\(name) must be an absolute path without '..', got \(value)")
      }
      return value
    }

    func store() throws(PluginError) -> any MailboxStore {
      try MailboxStores.open(try required("mailbox"), options: try options())
    }

    func options() throws(PluginError) -> [String: JSONValue] {
      guard let text = values["options"] else { return [:] }
      return try JSONCoding.parse(text).objectValue ?? [:]
    }
  }

  static func main(_ arguments: [String]) -> Int32 {
    let command = arguments[1]
    GCSMailboxStore.register()
    do {
      let parsed = try Arguments(Array(arguments.dropFirst(2)))
      switch command {
      case "slurm-stage": try stage(parsed)
      case "slurm-job": return try job(parsed)
      case "slurm-clean": try clean(parsed)
      default: try collect(parsed)
      }
      return 0
    } catch {
      FileHandle.standardError.write(Data("goldfish-agent \(command): \(error.message)\n".utf8))
      return 2
    }
  }

  // MARK: slurm-stage (host)

  static func stage(_ arguments: Arguments) throws(PluginError) {
    let store = try arguments.store()
    let scratch = try arguments.path("scratch")
    let specFile = try arguments.path("spec")
    guard let data = FileManager.default.contents(atPath: specFile) else {
      throw PluginError(.notFound, "cannot read the run spec \(specFile)")
    }
    let spec = try JSONCoding.decode(RunSpec.self, from: String(decoding: data, as: UTF8.self))
    try WorkerIdentifier.validate(spec.runId, "run id")
    // Nothing of an earlier attempt of this run id survives (its exit record above all).
    for key in try store.list(try MailboxLayout.runFolder(spec.runId)) { try store.delete(key) }
    var inputs = try spec.inputs.map { (input) throws(PluginError) -> AgentInput in
      try stageInput(input, runId: spec.runId, store: store)
    }
    let codePath = RunLayout.inputsDir(workDir: scratch) + "/" + codeInput
    var env = spec.env.filter { $0.key != StageIO.inputsDirVariable && $0.key != StageIO.outputsDirVariable }
    if let codeDir = spec.codeDir {
      let key = RunLayout.storageFolder(spec.runId) + "/code"
      try uploadFolder(codeDir, to: key, store: store)
      inputs.append(AgentInput(name: codeInput, source: folderURI(store, key)))
      // The host's code folder means nothing on the node: the staged copy takes its place.
      if let path = env["PYTHONPATH"] {
        env["PYTHONPATH"] = path.split(separator: ":", omittingEmptySubsequences: false)
          .map { $0 == codeDir ? codePath : String($0) }.joined(separator: ":")
      }
    }
    let gpus = spec.profile?.gpu?.count ?? 0
    let job = AgentJob(
      runId: spec.runId, command: spec.command, env: env, code: spec.codeDir == nil ? nil : codePath,
      inputs: inputs, outputsDir: nil, timeoutSeconds: spec.timeoutSeconds, gpus: gpus > 0 ? gpus : nil)
    try job.validate()
    try store.putJSON(try MailboxLayout.job(worker: spec.runId, run: spec.runId), job)
  }

  /// An object already in this storage is read where it is; anything else (the stage config,
  /// checkpoints, inputs of another storage) goes up from the host's copy.
  static func stageInput(_ input: RunInput, runId: String, store: any MailboxStore) throws(PluginError) -> AgentInput {
    try WorkerIdentifier.validate(input.name, "input name")
    let scheme = store.rootURI.prefix { $0 != ":" } + "://"
    if let uri = input.uri, uri.hasPrefix(scheme) { return AgentInput(name: input.name, source: uri) }
    guard let path = input.localPath else {
      throw PluginError(
        .invalidArgument, "input \(input.name) has neither a \(scheme) URI nor a local copy to upload",
        detail: ["input": .string(input.name)])
    }
    let key = RunLayout.inputKey(runId, input.name)
    guard let info = POSIXFile.fileInfo(path) else {
      throw PluginError(.notFound, "input \(input.name): \(path) does not exist")
    }
    if (info.st_mode & S_IFMT) == S_IFDIR {
      try uploadFolder(path, to: key, store: store)
      return AgentInput(name: input.name, source: folderURI(store, key))
    }
    try store.putFile(key, from: path)
    return AgentInput(name: input.name, source: store.rootURI + "/" + key)
  }

  /// A folder in Cloud Storage is a prefix ending in "/"; a file mailbox's is a plain path.
  static func folderURI(_ store: any MailboxStore, _ key: String) -> String {
    store.rootURI + "/" + key + (store.rootURI.hasPrefix("gs://") ? "/" : "")
  }

  static func uploadFolder(_ root: String, to key: String, store: any MailboxStore) throws(PluginError) {
    guard let walker = FileManager.default.enumerator(atPath: root) else {
      throw PluginError(.io, "cannot read the folder \(root)")
    }
    var count = 0
    while let relative = walker.nextObject() as? String {
      let path = root + "/" + relative
      guard let info = POSIXFile.fileInfo(path), (info.st_mode & S_IFMT) == S_IFREG else { continue }
      try store.putFile(key + "/" + relative, from: path)
      count += 1
    }
    // An empty folder still has to exist on the node.
    if count == 0 { try store.put(key + "/.keep", []) }
  }

  // MARK: slurm-job (node)

  /// One warm-worker pass over a mailbox holding exactly this run's job: the same staging,
  /// watch loop (timeout, cancel, stop requests, log and metrics uploads) and exit record as
  /// a VM's agent. Exits with the stage's own exit code, so Slurm's state agrees.
  static func job(_ arguments: Arguments) throws(PluginError) -> Int32 {
    let runId = try arguments.required("run")
    let scratch = try arguments.path("scratch")
    let config = AgentConfig(
      workerId: runId, mailbox: try arguments.required("mailbox"), workRoot: scratch, idleTimeoutSeconds: 30,
      runner: .process, maxJobs: 1, pollIntervalMs: 200, mailboxOptions: try arguments.options())
    try config.validate()
    let store = try arguments.store()
    gf_agent_install_stop_handler()
    _ = gf_agent_become_subreaper()
    defer { try? FileManager.default.removeItem(atPath: scratch) }
    _ = Agent(config: config, store: store, runner: ProcessGroupRunner()).run()
    try? store.delete(try MailboxLayout.status(worker: runId))
    guard let record = try store.getJSON(AgentExit.self, try MailboxLayout.exit(run: runId)) else {
      throw PluginError(.notFound, "run \(runId) left no exit record (its job file was missing or unreadable)")
    }
    return Int32(clamping: record.exitCode & 0xff)
  }

  // MARK: slurm-collect (host)

  static func collect(_ arguments: Arguments) throws(PluginError) {
    let store = try arguments.store()
    let runId = try arguments.required("run")
    let work = try arguments.path("work")
    let outputs = try arguments.values["outputs"] == nil ? nil : arguments.path("outputs")
    let exit = try store.get(try MailboxLayout.exit(run: runId))
    if (try? store.exists(try MailboxLayout.log(run: runId))) == true {
      try store.getFile(try MailboxLayout.log(run: runId), to: work + "/" + logName)
    }
    guard let exit else {
      // Metrics while the run runs: the host reads them from the outputs folder by offset,
      // and the uploaded file only grows.
      if let outputs, let key = try? MailboxLayout.metrics(run: runId), (try? store.exists(key)) == true {
        let local = StageIO.metricsFile(outputsDir: outputs)
        try POSIXFile.makeDirectories(POSIXFile.parent(of: local))
        try store.getFile(key, to: local)
      }
      return
    }
    if let outputs {
      let base = try MailboxLayout.outputsFolder(run: runId) + "/"
      for key in try store.list(try MailboxLayout.outputsFolder(run: runId)) {
        let relative = String(key.dropFirst(base.count))
        let parts = relative.split(separator: "/", omittingEmptySubsequences: false)
        guard key.hasPrefix(base), !parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) else {
          throw PluginError(.invalidArgument, "output object \(key) escapes the outputs folder")
        }
        try POSIXFile.makeDirectories(POSIXFile.parent(of: outputs + "/" + relative))
        try store.getFile(key, to: outputs + "/" + relative)
      }
    }
    _ = try POSIXFile.atomicWrite(to: work + "/" + exitRecordName) { (fd: Int32) throws(PluginError) -> Int64 in
      try POSIXFile.writeAll(fd, exit, work + "/" + exitRecordName)
      return Int64(exit.count)
    }
  }

  // MARK: slurm-clean (host)

  /// Once the host has the run's outputs and records, its objects under `slurm/` are a second
  /// copy: the run's folder (code, inputs, log, metrics, outputs, exit record) and its job file go.
  static func clean(_ arguments: Arguments) throws(PluginError) {
    let store = try arguments.store()
    let runId = try arguments.required("run")
    try WorkerIdentifier.validate(runId, "run id")
    for folder in [try MailboxLayout.runFolder(runId), try MailboxLayout.workerFolder(runId)] {
      for key in try store.list(folder) { try store.delete(key) }
      // A folder store keeps empty directories where the objects were.
      if let path = try store.localPath(folder) { try? FileManager.default.removeItem(atPath: path) }
    }
  }
}
