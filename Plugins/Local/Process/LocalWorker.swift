import Foundation
import PluginKit
import PluginSupport

/// A warm worker on this machine: goldfish-agent under a detached goldfish-runner, with its
/// own folder (agent.json, the runner's files, the agent's scratch) and a shared file mailbox.
///
///   <state_dir>/warm/mailbox/                 the mailbox root (docs/warm-pool.md)
///   <state_dir>/warm/workers/<worker_id>/     agent.json, runner.json, output.log, work/
struct LocalWorker {
  let id: String
  let folder: String
  let mailbox: FileMailboxStore

  /// The worker handle the host persists: enough to find the worker again after a restart.
  var handle: JSONValue {
    var fields: [String: JSONValue] = [
      "backend": "process", "worker_id": .string(id), "mailbox": .string(mailbox.rootURI), "folder": .string(folder),
    ]
    if let supervisor {
      fields["pid"] = .int(Int64(supervisor.pid))
      fields["start_time"] = .int(Int64(supervisor.startTime))
    }
    return .object(fields)
  }

  static func of(_ handle: JSONValue) throws(PluginError) -> LocalWorker {
    let fields = try LocalWorkerHandle(handle, backend: "process")
    return LocalWorker(id: fields.id, folder: fields.folder, mailbox: fields.mailbox)
  }

  var supervisorFolder: RunFolder { RunFolder(path: folder) }
  var supervisor: ProcessIdentity? { supervisorFolder.supervisor }
  var isAlive: Bool { supervisor?.isAlive ?? false }
  var configPath: String { folder + "/agent.json" }

  var config: AgentConfig? {
    guard let data = FileManager.default.contents(atPath: configPath) else { return nil }
    return try? JSONCoding.decode(AgentConfig.self, from: String(decoding: data, as: UTF8.self))
  }

  var status: AgentWorkerStatus? {
    try? mailbox.getJSON(AgentWorkerStatus.self, MailboxLayout.status(worker: id))
  }

  /// Starts goldfish-agent detached under goldfish-runner (which keeps its stderr in
  /// output.log and records its exit); returns once runner.json names the supervisor.
  func start(config: AgentConfig, runner: String, agent: String, environment: [String: String]) throws(PluginError) {
    try POSIXFile.makeDirectories(config.workRoot)
    let text = try JSONCoding.encode(config)
    try POSIXFile.atomicWrite(to: configPath, mode: 0o644) { (fd: Int32) throws(PluginError) in
      try POSIXFile.writeAll(fd, Array(text.utf8), configPath)
    }
    let argv = [runner, folder, folder, "0", "--", agent, "--config", configPath]
    let pid = try Spawn.start(argv, environment: environment)
    guard Spawn.wait(pid) == 0, supervisor != nil else {
      throw PluginError(
        .internal, "the supervisor \(runner) did not start worker \(id)", detail: ["folder": .string(folder)])
    }
  }

  /// Idle means: the agent says so and no job waits in its mailbox (one whose exit record
  /// exists is finished, only not yet removed).
  func isIdle() throws(PluginError) -> Bool {
    guard isAlive, status?.state == .idle else { return false }
    for key in try mailbox.list(try MailboxLayout.jobsFolder(worker: id)) {
      guard let runId = MailboxLayout.runId(ofJobKey: key) else { continue }
      if try !mailbox.exists(try MailboxLayout.exit(run: runId)) { return false }
    }
    return true
  }
}
