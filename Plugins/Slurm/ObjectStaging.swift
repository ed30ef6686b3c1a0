import Foundation
import PluginKit

/// `slurm.data: object-storage`: the cluster sees none of the host's folders. Inputs, code,
/// log, metrics, outputs and the exit record travel through the project's object storage
/// (`gcs`, or `file` on a path the nodes see) under `<storage>/slurm/`, moved by
/// goldfish-agent: on the host at launch (`slurm-stage`) and at each status poll
/// (`slurm-collect`), and on the node as the job's only step (`slurm-job`). The plugin keeps
/// to the public SDK: the agent, which already speaks every storage a worker uses, is its
/// companion program, not a library it links.
struct ObjectStaging: Sendable {
  /// The mailbox root: `gs://bucket/prefix/slurm` or `file:///root/slurm`.
  let mailbox: String
  /// The storage section the agent opens it with (endpoint, credentials), as JSON.
  let options: String
  /// goldfish-agent on this machine.
  let agent: String
  /// goldfish-agent as the compute nodes see it.
  let agentOnNodes: String
  /// A node-local folder; each run works in `<scratch>/goldfish-<run id>`, removed at its end.
  let scratchRoot: String

  static let mailboxFolder = "slurm"
  static let storages = ["gcs", "file"]

  init(settings: SlurmSettings, context: ServiceContext) throws(PluginError) {
    guard let storage = context.objectStorage else {
      throw SlurmSettings.invalid(
        "data", "is object-storage, but no project storage is selected: set storage.backend (gcs or file)")
    }
    var config = storage.config.objectValue ?? [:]
    switch storage.name {
    case "gcs":
      guard let bucket = config["bucket"]?.stringValue, !bucket.isEmpty else {
        throw SlurmSettings.invalid("data", "is object-storage on gcs storage without a bucket: set gcs.bucket")
      }
      let prefix = (config["prefix"]?.stringValue ?? "").split(separator: "/").joined(separator: "/")
      mailbox = "gs://" + bucket + (prefix.isEmpty ? "" : "/" + prefix) + "/" + Self.mailboxFolder
      config["bucket"] = nil
      config["prefix"] = nil
    case "file":
      let base = context.projectRoot ?? FileManager.default.currentDirectoryPath
      let root: String
      if let configured = config["root"]?.stringValue, !configured.isEmpty {
        root = configured.hasPrefix("/") ? configured : base + "/" + configured
      } else if let state = context.stateDir {
        root = state + "/storage"
      } else {
        throw SlurmSettings.invalid("data", "is object-storage on file storage without a root: set file.root")
      }
      mailbox = "file://" + root + "/" + Self.mailboxFolder
      config = [:]
    default:
      throw SlurmSettings.invalid(
        "data",
        "is object-storage, which goldfish-agent stages through \(Self.storages.joined(separator: " or ")) storage; "
          + "storage.backend is \(storage.name): use data: shared with a file system both sides see")
    }
    options = try JSONCoding.encode(JSONValue.object(config))
    agent = try Self.findAgent(settings.agent)
    agentOnNodes = settings.agentOnNodes ?? agent
    scratchRoot = settings.scratch
  }

  /// slurm.agent, else next to this plugin, else next to the program that loaded it.
  static func findAgent(_ configured: String?) throws(PluginError) -> String {
    var candidates: [String] = []
    if let configured { candidates.append(configured) }
    if let folder = PluginLocation.folder { candidates.append(folder + "/goldfish-agent") }
    if let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
      candidates.append(URL(fileURLWithPath: executable).deletingLastPathComponent().path + "/goldfish-agent")
    }
    guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
      throw SlurmSettings.invalid(
        "agent", "not found: data: object-storage needs goldfish-agent; looked in " + candidates.joined(separator: ", ")
      )
    }
    return found
  }

  func scratch(_ runId: String) -> String { scratchRoot + "/goldfish-" + runId }

  /// Uploads what the job needs and writes its job file, before the submit.
  func stage(_ spec: RunSpec, files: RunFiles) throws(PluginError) {
    let specFile = files.workDir + "/slurm-spec.json"
    try files.write(try JSONCoding.value(of: spec), to: specFile)
    try run(["slurm-stage", "--scratch", scratch(spec.runId), "--spec", specFile], what: "staging run \(spec.runId)")
  }

  /// Brings the log and metrics home, and at the end the outputs and then the exit record.
  func collect(_ handle: SlurmRunHandle) throws(PluginError) {
    var argv = ["slurm-collect", "--run", handle.runId, "--work", handle.workDir]
    if let outputs = handle.outputsDir { argv += ["--outputs", outputs] }
    try run(argv, what: "collecting run \(handle.runId)")
  }

  /// Removes the run's objects under `slurm/` once the host holds its outputs and records.
  func clean(_ runId: String) throws(PluginError) {
    try run(["slurm-clean", "--run", runId], what: "removing the staged objects of run \(runId)")
  }

  /// The batch script: goldfish-agent is the job's only step. A node without it fails the
  /// job with a line saying so in the job's output file and exit code 127.
  func script(runId: String) -> String {
    let q = JobScript.quote
    let argv = [
      agentOnNodes, "slurm-job", "--mailbox", mailbox, "--options", options, "--run", runId, "--scratch",
      scratch(runId),
    ]
    return """
      #!/bin/bash
      # goldfish run \(runId.filter { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) (data: object-storage)
      if [ ! -x \(q(agentOnNodes)) ]; then
        printf 'goldfish: goldfish-agent is not at %s on %s (set slurm.agent_on_nodes)\\n' \(q(agentOnNodes)) "$(hostname)" >&2
        exit 127
      fi
      exec \(argv.map(q).joined(separator: " "))

      """
  }

  private func run(_ arguments: [String], what: String) throws(PluginError) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: agent)
    process.arguments = arguments + ["--mailbox", mailbox, "--options", options]
    let errors = Pipe()
    process.standardOutput = FileHandle.nullDevice
    process.standardError = errors
    process.standardInput = FileHandle.nullDevice
    do {
      try process.run()
    } catch {
      throw PluginError(.unavailable, "\(what): cannot start \(agent): \(error)")
    }
    let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      throw PluginError(
        .unavailable, "\(what) through \(mailbox) failed: \(text.trimmingCharacters(in: .whitespacesAndNewlines))",
        retryable: true, detail: ["mailbox": .string(mailbox)])
    }
  }
}
