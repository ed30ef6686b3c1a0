import Foundation
import PluginKit
import PluginSupport

/// `gce`: each run (or warm worker) is a Compute Engine VM running goldfish-agent, which
/// takes its jobs from and reports to a mailbox in Cloud Storage. The host never talks to the
/// VM: it reads the run's own records in the mailbox and asks the Compute API whether the VM
/// still exists.
final class GCEBackend: WarmReuseBackend, StopRequestBackend, @unchecked Sendable {
  static let serviceName = "gce"
  static let capabilities = RunBackendCapabilities(
    isolation: "vm", gpu: true, spot: true, networkPolicy: false, resourceLimits: [], logs: .offset, recover: true,
    // A warm VM serves runs of the image it was started for only (upstream §5.7 #38).
    warmReuse: true, warmMatch: ["image"], needsImage: false
  ).json

  let settings: GCESettings
  let compute: ComputeAPI
  /// Opened at first use: a backend without a bucket still opens (so `plugins list` and
  /// config checks work) but refuses to launch (#33).
  private let mailboxResult: Result<Mailbox, PluginError>

  static func checkConfig(_ config: JSONValue, context: ServiceContext) -> ConfigReport? {
    GCESettings.report(config, storage: context.objectStorage)
  }

  init(config: JSONValue, context: ServiceContext) throws(PluginError) {
    settings = try GCESettings(config: config, storage: context.objectStorage)
    PluginLog.settingsInEffect(Self.serviceName, settings.effective)
    compute = try ComputeAPI(settings: settings)
    do throws(PluginError) {
      mailboxResult = .success(try Mailbox(settings: settings))
    } catch {
      mailboxResult = .failure(error)
    }
  }

  func mailbox() throws(PluginError) -> Mailbox {
    switch mailboxResult {
    case .success(let mailbox): return mailbox
    case .failure(let error): throw error
    }
  }

  // MARK: launch

  func launch(_ spec: RunSpec) throws(PluginError) -> JSONValue {
    try WorkerIdentifier.validate(spec.runId, "run id")
    let mailbox = try mailbox()
    let profile = try MachineProfile(spec: spec.profile, settings: settings)
    let keepWarm = spec.worker?.keepWarm == true
    // A warm worker keeps the id the host chose (its pool row, its mailbox folder, its
    // goldfish-worker label, so list_workers answers ids the host can match); only the VM name
    // is sanitized. A one-shot VM is named after its run.
    let workerId: String
    if keepWarm, let chosen = spec.worker?.workerId {
      try WorkerIdentifier.validate(chosen, "worker id")
      workerId = chosen
    } else {
      workerId = InstanceName.sanitize(spec.runId)
    }
    let name = InstanceName.sanitize(workerId)
    let runner = profile.runner(for: spec.image)
    if runner == .container && (spec.image ?? "").isEmpty {
      throw PluginError(
        .invalidArgument,
        "profile \"\(profile.name)\" runs jobs in containers but run \(spec.runId) has no image: build and push the "
          + "stage image (gce.artifact_registry, jobs.image_builder), or set agent_runner: process in the profile",
        detail: ["profile": .string(profile.name)])
    }
    let job = try RunStaging(mailbox: mailbox).job(spec, preservePaths: spec.worker?.preservePaths ?? [])
    let placed = try AgentUpload(settings: settings, mailbox: mailbox).place()
    try mailbox.put(try MailboxLayout.job(worker: workerId, run: spec.runId), json: job)
    // One-shot: the agent exits after its job and the startup script deletes the VM.
    let agent = AgentConfig(
      workerId: workerId, mailbox: mailbox.root, workRoot: "/var/lib/goldfish-agent",
      idleTimeoutSeconds: keepWarm ? spec.worker?.idleTimeoutSeconds : nil,
      lifetimeSeconds: keepWarm ? spec.worker?.lifetimeSeconds : nil, preservePaths: spec.worker?.preservePaths ?? [],
      runner: runner, maxJobs: keepWarm ? nil : 1, labels: spec.labels,
      mailboxOptions: settings.storageEndpoint.map { ["endpoint": .string($0)] } ?? [:],
      dockerHost: settings.agentDockerHost ?? AgentConfig.defaultDockerHost)
    try agent.validate()
    var metadata = [
      "startup-script": StartupScript.text, StartupScript.configKey: try JSONCoding.encode(agent),
      StartupScript.agentURLKey: placed.url, StartupScript.agentSHA256Key: placed.sha256,
      StartupScript.runnerKey: runner.rawValue,
      StartupScript.bootErrorURLKey: try AgentUpload(settings: settings, mailbox: mailbox).bootErrorUploadURL(
        worker: workerId),
    ]
    // Deep Learning VM images install the NVIDIA driver at first boot when asked.
    if profile.accelerator != nil { metadata["install-nvidia-driver"] = "True" }
    if let image = spec.image { metadata[StartupScript.imageKey] = image }
    let items = metadata
    var labels: [String: String] = [:]
    for (key, value) in spec.labels { labels[InstanceRequest.labelValue(key)] = InstanceRequest.labelValue(value) }
    // The backend's own labels win: a retried launch and list_workers recognise VMs by them.
    labels["goldfish-worker"] = InstanceRequest.labelValue(workerId)
    labels["goldfish-warm"] = keepWarm ? "true" : "false"
    labels["goldfish-profile"] = InstanceRequest.labelValue(profile.name)
    let placement: CapacitySearch.Placement
    do {
      placement = try CapacitySearch(api: compute, settings: settings).launch(name: name, profile: profile) {
        zone, mode in
        InstanceRequest(
          name: name, profile: profile, zone: zone, mode: mode, metadata: items, labels: labels,
          serviceAccount: settings.serviceAccount)
      }
    } catch {
      // No VM will read this job: do not leave it for a later worker of the same name.
      _ = try? mailbox.delete(try MailboxLayout.job(worker: workerId, run: spec.runId))
      throw error
    }
    let handle = GCERunHandle(
      runId: spec.runId, instance: name, zone: placement.zone, mode: placement.mode, oneShot: !keepWarm,
      outputsDir: spec.outputsDir)
    var json = handle.json
    if case .object(var fields) = json {
      fields["worker_id"] = .string(workerId)
      json = .object(fields)
    }
    if keepWarm, case .object(var fields) = json {
      fields["worker"] =
        GCEWorkerHandle(
          workerId: workerId, instance: name, zone: placement.zone, mode: placement.mode, image: spec.image
        ).json
      json = .object(fields)
    }
    return json
  }

  // MARK: status

  func status(handle json: JSONValue) throws(PluginError) -> RunStatus {
    let handle = try GCERunHandle(json)
    let mailbox = try mailbox()
    if let exit = try mailbox.getJSON(try MailboxLayout.exit(run: handle.runId)) {
      return try finished(handle, exit, mailbox)
    }
    let claimed = try mailbox.stat(try MailboxLayout.claimed(run: handle.runId)) != nil
    let vm = try compute.get(zone: handle.zone, name: handle.instance)
    let vmState = vm?["status"]?.stringValue
    let gone = vm == nil || ["STOPPING", "STOPPED", "TERMINATED", "SUSPENDING", "SUSPENDED"].contains(vmState ?? "")
    let bootError = claimed ? nil : try self.bootError(json, handle, mailbox)
    if let bootError {
      if handle.oneShot { try? compute.delete(zone: handle.zone, name: handle.instance) }
      return RunStatus(
        state: .failed, exitCode: nil, terminationCause: .error,
        message: "the VM \(handle.instance) could not run goldfish-agent: \(bootError)")
    }
    guard gone else {
      if claimed { bringMetricsHome(handle, mailbox) }
      return RunStatus(
        state: claimed ? .running : .pending,
        message: claimed ? "running on \(handle.instance)" : "waiting for \(handle.instance) (\(vmState ?? "?"))")
    }
    // The agent writes exit.json before its VM goes away: read once more, the VM may have
    // deleted itself between the two reads.
    if let exit = try mailbox.getJSON(try MailboxLayout.exit(run: handle.runId)) {
      return try finished(handle, exit, mailbox)
    }
    let preempted = handle.mode == .spot && vm != nil
    return RunStatus(
      state: .failed, exitCode: nil, terminationCause: preempted ? .preemption : .lost,
      message: vm == nil
        ? "the VM \(handle.instance) is gone and run \(handle.runId) left no exit record"
        : "the \(handle.mode == .spot ? "spot " : "")VM \(handle.instance) is \(vmState ?? "?") "
          + "and run \(handle.runId) left no exit record")
  }

  private func finished(_ handle: GCERunHandle, _ exit: JSONValue, _ mailbox: Mailbox) throws(PluginError) -> RunStatus
  {
    let code = exit["exit_code"]?.intValue.map { Int($0) } ?? 1
    var cause = exit["termination_cause"]?.stringValue.flatMap(TerminationCause.init(rawValue:)) ?? .exit
    // An agent stopped mid-job on a spot VM that Compute Engine then stopped: preemption.
    if cause == .lost, handle.mode == .spot,
      let vm = try? compute.get(zone: handle.zone, name: handle.instance),
      ["STOPPING", "STOPPED", "TERMINATED"].contains(vm["status"]?.stringValue ?? "")
    {
      cause = .preemption
    }
    let state: RunState
    switch cause {
    case .user: state = .canceled
    case .exit: state = code == 0 ? .completed : .failed
    default: state = .failed
    }
    // The host records outputs from outputs_dir as soon as it sees `completed`: bring them
    // home first.
    if state == .completed, let outputsDir = handle.outputsDir {
      try downloadOutputs(handle.runId, into: outputsDir, mailbox)
    }
    return RunStatus(
      state: state, exitCode: code, terminationCause: cause, message: exit["message"]?.stringValue ?? "",
      startedAt: exit["started_at"]?.stringValue, finishedAt: exit["finished_at"]?.stringValue)
  }

  /// What the startup script reported when the VM could not run the agent (no Docker, no
  /// driver, a download that failed its SHA-256), if anything.
  func bootError(_ json: JSONValue, _ handle: GCERunHandle, _ mailbox: Mailbox) throws(PluginError) -> String? {
    let worker = json["worker_id"]?.stringValue ?? json["worker"]?["worker_id"]?.stringValue ?? handle.instance
    guard let bytes = try mailbox.get(try AgentUpload.bootErrorKey(worker: worker)) else { return nil }
    return String(decoding: bytes, as: UTF8.self)
  }

  /// While the job runs its agent uploads the metrics file to the mailbox every few seconds;
  /// the host reads metrics from the run's outputs folder by offset, so each status poll
  /// appends the bytes the host does not have yet (a shorter object was replaced: it is
  /// fetched whole). Best effort: the next poll tries again, and the outputs come home whole
  /// when the run completes.
  func bringMetricsHome(_ handle: GCERunHandle, _ mailbox: Mailbox) {
    guard let outputsDir = handle.outputsDir, let key = try? MailboxLayout.metrics(run: handle.runId),
      let object = try? mailbox.stat(key)
    else { return }
    let local = StageIO.metricsFile(outputsDir: outputsDir)
    let have = POSIXFile.fileInfo(local).map { Int64($0.st_size) } ?? 0
    if object.size < have {
      try? mailbox.download(object, to: local)
      return
    }
    guard object.size > have, let bytes = try? mailbox.range(key, from: have, to: object.size) else { return }
    try? POSIXFile.makeDirectories(POSIXFile.parent(of: local))
    let descriptor = open(local, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else { return }
    defer { close(descriptor) }
    try? POSIXFile.writeAll(descriptor, bytes, local)
  }

  func downloadOutputs(_ runId: String, into folder: String, _ mailbox: Mailbox) throws(PluginError) {
    let base = try MailboxLayout.outputsFolder(run: runId) + "/"
    for object in try mailbox.list(base) {
      let relative = String(mailbox.relativeKey(object).dropFirst(base.count))
      let parts = relative.split(separator: "/", omittingEmptySubsequences: false)
      guard !relative.isEmpty, !parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) else {
        if relative.hasSuffix("/") || relative.isEmpty { continue }  // folder placeholders
        throw PluginError(.invalidArgument, "output object \(object.name) escapes the outputs folder")
      }
      try mailbox.download(object, to: folder + "/" + relative)
    }
  }

  // MARK: logs, cancel, cleanup, recover

  func logs(handle json: JSONValue, request: LogRequest) throws(PluginError) -> LogChunk {
    let handle = try GCERunHandle(json)
    let mailbox = try mailbox()
    let key = try MailboxLayout.log(run: handle.runId)
    let finished = try mailbox.stat(try MailboxLayout.exit(run: handle.runId)) != nil
    guard let object = try mailbox.stat(key) else {
      return LogChunk(text: "", nextOffset: request.offset ?? 0, complete: finished)
    }
    let size = object.size
    if let tail = request.tail {
      guard tail > 0 else { throw PluginError(.invalidArgument, "tail must be at least 1, got \(tail)") }
      let bytes = try mailbox.range(key, from: max(0, size - (1 << 20)), to: size)
      var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map { Array($0) }
      if lines.last?.isEmpty == true { lines.removeLast() }
      let text = lines.suffix(tail).map { String(decoding: $0, as: UTF8.self) }.joined(separator: "\n")
      return LogChunk(text: text.isEmpty ? "" : text + "\n", nextOffset: size, complete: finished)
    }
    let offset = request.offset ?? 0
    guard offset >= 0 else { throw PluginError(.invalidArgument, "offset must not be negative, got \(offset)") }
    let limit = Int64(min(max(request.maxBytes ?? LogFile.defaultMaxBytes, 4), LogFile.maxMaxBytes))
    let end = min(size, offset + limit)
    var bytes = try mailbox.range(key, from: offset, to: end)
    // Never cut a UTF-8 character in two: stop before an incomplete trailing sequence.
    if end < size {
      var cut = bytes.count
      var back = 0
      while cut > 0 && back < 4 && bytes[cut - 1] & 0xC0 == 0x80 {
        cut -= 1
        back += 1
      }
      if cut > 0 && bytes[cut - 1] >= 0xC0 { bytes = Array(bytes[..<(cut - 1)]) }
    }
    let next = offset + Int64(bytes.count)
    return LogChunk(text: String(decoding: bytes, as: UTF8.self), nextOffset: next, complete: finished && next >= size)
  }

  /// Asks the agent to stop this run only; a one-shot run's VM is deleted as well.
  func cancel(handle json: JSONValue, reason: String?) throws(PluginError) {
    let handle = try GCERunHandle(json)
    let mailbox = try mailbox()
    if try mailbox.stat(try MailboxLayout.exit(run: handle.runId)) != nil { return }
    try mailbox.put(
      try MailboxLayout.cancel(run: handle.runId),
      json: JSONValue.object([
        "run_id": .string(handle.runId), "reason": .string(reason ?? "canceled"),
        "at": .string(ISO8601DateFormatter().string(from: Date())),
      ]))
    if handle.oneShot { try compute.delete(zone: handle.zone, name: handle.instance) }
  }

  /// Leaves the request in the run's mailbox folder; the agent watching the job turns it into
  /// the stop file the stage's should_stop() reads.
  func requestStop(handle json: JSONValue, reason: String) throws(PluginError) -> Bool {
    let handle = try GCERunHandle(json)
    let mailbox = try mailbox()
    if try mailbox.stat(try MailboxLayout.exit(run: handle.runId)) != nil { return false }
    try mailbox.put(
      try MailboxLayout.stop(run: handle.runId),
      json: JSONValue.object([
        "run_id": .string(handle.runId), "reason": .string(reason),
        "at": .string(ISO8601DateFormatter().string(from: Date())),
      ]))
    return true
  }

  /// A one-shot run's VM goes; a warm worker stays (the host's pool decides about it).
  func cleanup(handle json: JSONValue) throws(PluginError) {
    let handle = try GCERunHandle(json)
    if handle.oneShot { try compute.delete(zone: handle.zone, name: handle.instance) }
    // The host has recorded what the run left: its outputs go now, the rest after the retention period.
    try MailboxRetention(mailbox: try mailbox(), seconds: settings.mailboxRetentionSeconds).runFinished(
      runId: handle.runId, oneShotWorker: handle.oneShot ? json["worker_id"]?.stringValue : nil)
  }

  func recover(handle: JSONValue) throws(PluginError) -> RecoveredRun {
    RecoveredRun(handle: handle, status: try status(handle: handle))
  }
}
