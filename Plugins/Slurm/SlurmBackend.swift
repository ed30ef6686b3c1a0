import Foundation
import GoldfishSlurmStates
import PluginKit

/// `slurm`: each run is one batch job submitted to slurmrestd. The cluster sees the run's
/// folders at the same paths (`slurm.data: shared`): the job reads its inputs and writes its
/// outputs and log there, and its script leaves an exit record there, which outlives the job in
/// Slurm's memory. Built on the public SDK (PluginKit) and libcurl only.
final class SlurmBackend: RunListingBackend, @unchecked Sendable {
  static let serviceName = "slurm"
  static let capabilities = RunBackendCapabilities(
    note: "batch jobs through slurmrestd; the cluster must see work folders and file storage at the same paths",
    isolation: "process", gpu: true, spot: false, networkPolicy: false, resourceLimits: [.memoryMB, .cpus],
    logs: .offset, recover: true, warmReuse: false, needsImage: false
  ).json

  let settings: SlurmSettings
  let client: SlurmClient
  /// Set when `slurm.data` is object-storage.
  let staging: ObjectStaging?

  static func checkConfig(_ config: JSONValue, context: ServiceContext) -> ConfigReport? {
    SlurmSettings.report(config, context: context)
  }

  init(config: JSONValue, context: ServiceContext) throws(PluginError) {
    settings = try SlurmSettings(config: config)
    PluginLog.settingsInEffect(Self.serviceName, settings.effective)
    client = SlurmClient(settings: settings)
    staging = settings.data == .objectStorage ? try ObjectStaging(settings: settings, context: context) : nil
  }

  // MARK: launch

  func launch(_ spec: RunSpec) throws(PluginError) -> JSONValue {
    try validate(spec)
    let files = RunFiles(workDir: spec.workDir)
    if files.exists(files.submission) {
      throw PluginError(
        .alreadyExists, "run \(spec.runId) was already submitted to Slurm from \(spec.workDir)",
        detail: ["run_id": .string(spec.runId)])
    }
    for folder in [spec.workDir, spec.workDir + "/home", spec.workDir + "/tmp"] + [spec.outputsDir].compactMap({ $0 }) {
      try RunFiles.makeFolder(folder)
    }
    if let staging {
      var staged = spec
      staged.env = settings.environment.merging(spec.env) { _, spec in spec }
      try staging.stage(staged, files: files)
    }
    let request = JobRequest(settings: settings, spec: spec, files: files, staging: staging)
    let answer = try client.call("POST", "/job/submit", body: try request.body())
    let errors = SlurmClient.errors(in: answer)
    guard let jobId = SlurmJob.number(answer["job_id"]) else {
      throw PluginError(
        .unavailable,
        "slurmrestd accepted the submit of \(spec.runId) but answered no job id: \(SlurmClient.describe(errors))")
    }
    let handle = SlurmRunHandle(runId: spec.runId, jobId: jobId, workDir: spec.workDir, outputsDir: spec.outputsDir)
    guard errors.isEmpty else {
      // Slurm took the job but can never run it (a request no node fits stays PENDING forever):
      // a failed launch, and the job must not linger.
      _ = try? client.call("DELETE", "/job/\(jobId)")
      throw PluginError(
        .capacity,
        "Slurm cannot run \(spec.runId) as asked (job \(jobId) canceled): \(SlurmClient.describe(errors))",
        retryable: false,
        detail: [
          "job_id": .int(jobId),
          "hint": .string(
            "map the profile \(spec.profile?.name ?? "?") to what the partition has: slurm.profiles.\(spec.profile?.name ?? "NAME") "
              + "with cpus, memory_mb, gpus, partition"),
        ])
    }
    var record = handle.json
    if case .object(var fields) = record {
      fields["submitted_at"] = .string(ISO8601DateFormatter().string(from: Date()))
      fields["api_version"] = .string((try? client.version()) ?? "")
      record = .object(fields)
    }
    try files.write(record, to: files.submission)
    return handle.json
  }

  func validate(_ spec: RunSpec) throws(PluginError) {
    guard !spec.command.isEmpty, !spec.command[0].isEmpty else {
      throw PluginError(.invalidArgument, "the run spec has an empty command")
    }
    guard spec.workDir.hasPrefix("/") else {
      throw PluginError(.invalidArgument, "work_dir must be an absolute path, got \(spec.workDir)")
    }
    if let timeout = spec.timeoutSeconds, timeout <= 0 {
      throw PluginError(
        .invalidArgument, "timeout_seconds must be positive, got \(timeout); leave it out for no limit")
    }
    for key in spec.env.keys where !Self.isEnvironmentKey(key) {
      throw PluginError(.invalidArgument, "environment key \(key.debugDescription) is not [A-Za-z_][A-Za-z0-9_]*")
    }
    let texts = spec.command + [spec.workDir, spec.codeDir ?? ""] + Array(spec.env.values)
    if texts.contains(where: { $0.utf8.contains(0) }) {
      throw PluginError(.invalidArgument, "the run spec contains a NUL byte")
    }
    if staging != nil, spec.image != nil, (settings.container.runtime ?? "none") != "none" {
      throw PluginError(
        .unsupported,
        "slurm.data: object-storage runs the stage as a process on the node; slurm.container.runtime "
          + "\(settings.container.runtime ?? "") is used only with data: shared",
        detail: ["hint": "set slurm.container.runtime: none, or use data: shared"])
    }
    if staging == nil, !settings.sharedPaths.isEmpty {
      for (name, path) in [("work_dir", spec.workDir), ("code_dir", spec.codeDir)] {
        guard let path else { continue }
        guard settings.sharedPaths.contains(where: { path == $0 || path.hasPrefix($0 == "/" ? "/" : $0 + "/") }) else {
          throw PluginError(
            .invalidArgument,
            "\(name) \(path) is not under slurm.shared_paths (\(settings.sharedPaths.joined(separator: ", "))): "
              + "the cluster would not see it",
            detail: ["hint": "put the project on the shared file system, or add its folder to slurm.shared_paths"])
        }
      }
    }
  }

  static func isEnvironmentKey(_ key: String) -> Bool {
    guard let first = key.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic) else {
      return false
    }
    return key.unicodeScalars.allSatisfy {
      $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)))
    }
  }

  // MARK: status

  func status(handle json: JSONValue) throws(PluginError) -> RunStatus {
    try status(SlurmRunHandle(json))
  }

  func status(_ handle: SlurmRunHandle) throws(PluginError) -> RunStatus {
    if let staging { return try stagedStatus(handle, staging) }
    let files = handle.files
    if let exit = files.read(files.exitRecord) { return Self.finished(handle, exit) }
    if let final = files.read(files.finalRecord), let kept = try? JSONCoding.convert(final, to: RunStatus.self) {
      return kept
    }
    let answer: JSONValue
    do {
      answer = try client.call("GET", "/job/\(handle.jobId)")
    } catch  where error.code == .notFound {
      return gone(handle)
    }
    let entry = answer["jobs"]?.arrayValue?.first { SlurmJob.number($0["job_id"]) == handle.jobId }
    guard let entry, let job = SlurmJob(entry) else { return gone(handle) }
    let status = JobStateMapping.status(of: job)
    guard status.state.isFinal else { return status }
    // The script writes its record before the job ends: read it once more, it is the better answer.
    if let exit = files.read(files.exitRecord) { return Self.finished(handle, exit) }
    try? files.write(try JSONCoding.value(of: status), to: files.finalRecord)
    return status
  }

  /// The run's own exit record, written by its script.
  static func finished(_ handle: SlurmRunHandle, _ exit: JSONValue) -> RunStatus {
    let code = exit["exit_code"]?.intValue.map { Int($0) } ?? 1
    let started = exit["started_at"]?.stringValue
    let finished = exit["finished_at"]?.stringValue
    let job = "Slurm job \(handle.jobId)"
    // Slurm signals every process of a canceled job at once. When the stage dies of it before
    // the script's trap has run, the script takes the signal's exit code for the stage's own
    // and writes a record; the cancel asked for just before says what really ended it.
    if code > 128, exit["cause"]?.stringValue == "exit", handle.files.exists(handle.files.cancelRequest) {
      return RunStatus(
        state: .canceled, exitCode: code, terminationCause: .user,
        message: "\(job) was canceled (the stage ended on signal \(code - 128))", startedAt: started,
        finishedAt: finished)
    }
    switch exit["cause"]?.stringValue {
    case "timeout":
      return RunStatus(
        state: .terminated, exitCode: code, terminationCause: .timeout,
        message: "\(job) passed its timeout_seconds and was stopped", startedAt: started, finishedAt: finished)
    case "error":
      return RunStatus(
        state: .failed, exitCode: code, terminationCause: .error,
        message: exit["message"]?.stringValue.flatMap { $0.isEmpty ? nil : "\(job): \($0)" }
          ?? "\(job) could not start the stage (see its log)", startedAt: started, finishedAt: finished)
    default:
      return RunStatus(
        state: code == 0 ? .completed : .failed, exitCode: code, terminationCause: .exit,
        message: code == 0 ? "\(job) completed" : "\(job) exited with code \(code)", startedAt: started,
        finishedAt: finished)
    }
  }

  /// Slurm no longer knows the job (purged after MinJobAge, or never there) and the job left
  /// no record: it was stopped before its script could finish.
  func gone(_ handle: SlurmRunHandle) -> RunStatus {
    let files = handle.files
    if let exit = files.read(files.exitRecord) { return Self.finished(handle, exit) }
    return RunStatus(
      state: .failed, terminationCause: .lost,
      message: "Slurm job \(handle.jobId) is gone from slurmctld and run \(handle.runId) left no exit record")
  }

  // MARK: logs

  func logs(handle json: JSONValue, request: LogRequest) throws(PluginError) -> LogChunk {
    let handle = try SlurmRunHandle(json)
    // In object-storage mode status brings the log home as it goes.
    let finished = (try? status(handle))?.state.isFinal ?? false
    return try LogReader.read(path: handle.files.log, request: request, finished: finished)
  }

  // MARK: cancel, cleanup, recover

  func cancel(handle json: JSONValue, reason: String?) throws(PluginError) {
    let handle = try SlurmRunHandle(json)
    if handle.files.exists(handle.files.exitRecord) || handle.files.exists(handle.files.finalRecord)
      || handle.files.exists(handle.files.agentExitRecord)
    {
      return
    }
    handle.files.touch(handle.files.cancelRequest)
    do {
      _ = try client.call("DELETE", "/job/\(handle.jobId)")
    } catch  where error.code == .notFound {
      return
    }
  }

  func cleanup(handle json: JSONValue) throws(PluginError) {
    let handle = try SlurmRunHandle(json)
    let files = handle.files
    if !files.exists(files.exitRecord) && !files.exists(files.finalRecord) {
      do {
        _ = try client.call("DELETE", "/job/\(handle.jobId)")
      } catch  where error.code == .notFound {}
    }
    // Staged objects are a second copy of what the host now holds (or of a run given up on).
    if let staging { try staging.clean(handle.runId) }
    if FileManager.default.fileExists(atPath: handle.workDir) { files.touch(files.cleanedMarker) }
  }

  /// From a stored handle, or from a provisional one (`run_id`, `work_dir`): the job id is in
  /// the run folder once launch wrote it, else Slurm is asked for a job of that run.
  func recover(handle json: JSONValue) throws(PluginError) -> RecoveredRun {
    if json["job_id"] != nil {
      return RecoveredRun(handle: json, status: try status(handle: json))
    }
    guard let runId = json["run_id"]?.stringValue, let workDir = json["work_dir"]?.stringValue else {
      throw PluginError(.invalidArgument, "a slurm handle to recover needs run_id and work_dir: \(json)")
    }
    let files = RunFiles(workDir: workDir)
    if let record = files.read(files.submission), let found = try? SlurmRunHandle(record) {
      return RecoveredRun(handle: found.json, status: try status(found))
    }
    guard let listed = try listRuns(labels: ["goldfish-run": runId]).first else {
      throw PluginError(.notFound, "no Slurm job was submitted for run \(runId)")
    }
    return RecoveredRun(handle: listed.handle, status: try status(handle: listed.handle))
  }

  // MARK: list_runs

  /// The jobs slurmctld still holds whose comment carries these labels. Jobs purged after
  /// MinJobAge are not listed, and neither are jobs whose run was cleaned up.
  func listRuns(labels: [String: String]) throws(PluginError) -> [ListedRun] {
    let answer = try client.call("GET", "/jobs")
    return (answer["jobs"]?.arrayValue ?? []).compactMap { entry -> ListedRun? in
      guard let job = SlurmJob(entry), job.comment.hasPrefix(JobRequest.commentPrefix),
        let note = try? JSONCoding.parse(String(job.comment.dropFirst(JobRequest.commentPrefix.count))),
        let runId = note["run_id"]?.stringValue, let workDir = note["work_dir"]?.stringValue
      else { return nil }
      let jobLabels = (note["labels"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
      guard labels.allSatisfy({ jobLabels[$0.key] == $0.value }) else { return nil }
      let handle = SlurmRunHandle(
        runId: runId, jobId: job.jobId, workDir: workDir, outputsDir: note["outputs_dir"]?.stringValue)
      if handle.files.exists(handle.files.cleanedMarker) { return nil }
      return ListedRun(handle: handle.json, labels: jobLabels, state: JobStateMapping.status(of: job).state.rawValue)
    }
  }
}
