import Foundation
import PluginKit
import PluginSupport

/// `process` backend: each run is a local process group under a detached supervisor
/// (goldfish-runner), so runs outlive the goldfish process that started them and are found
/// again by pid and start time.
final class ProcessBackend: WarmReuseBackend, @unchecked Sendable {
  static let serviceName = "process"
  static let capabilities = RunBackendCapabilities(
    isolation: "process", gpu: false, spot: false, networkPolicy: true, resourceLimits: [], logs: .offset,
    recover: true, warmReuse: true, needsImage: false, sandbox: "bubblewrap (process.sandbox: auto, required or off)"
  ).json

  let runner: String
  let sandboxMode: SandboxMode
  /// Whether bubblewrap works here: started when the backend opens, waited for by the first launch.
  let sandboxProbe: SandboxProbe
  private let sandboxWarning = NSLock()
  private var sandboxWarned = false
  var sandbox: Sandbox? {
    guard case .success(let found) = sandboxProbe.result else { return nil }
    return found
  }
  /// Why runs are not sandboxed (nil when they are): recorded with every run it concerns.
  var unsandboxedReason: String? {
    guard case .failure(let unavailable) = sandboxProbe.result else { return nil }
    warnUnsandboxed(unavailable.reason)
    return unavailable.reason
  }
  let configuredAgent: String?
  /// The project's hidden folder: warm workers and their mailbox live below it.
  let stateDir: String?

  static func checkConfig(_ config: JSONValue, context: ServiceContext) -> ConfigReport? {
    ProcessSettings.report(config)
  }

  init(config: JSONValue, context: ServiceContext) throws(PluginError) {
    let settings = try ProcessSettings(config: config)
    PluginLog.settingsInEffect(Self.serviceName, settings.effective)
    runner = settings.runner
    sandboxMode = settings.sandboxMode
    sandboxProbe = SandboxProbe(mode: sandboxMode, bwrap: settings.bwrap)
    configuredAgent = settings.agent
    stateDir = context.stateDir ?? context.projectRoot.map { $0 + "/.goldfish" }
    // A missing bubblewrap is said when the backend opens (a `goldfish run` that does not wait
    // sees it too); namespaces that do not work, once the probe says so. Again with each run.
    if let missing = sandboxProbe.knownFailure { warnUnsandboxed(missing.reason) }
  }

  private func warnUnsandboxed(_ reason: String) {
    guard sandboxMode != .off else { return }
    let first = sandboxWarning.withLock {
      defer { sandboxWarned = true }
      return !sandboxWarned
    }
    guard first else { return }
    PluginLog.warning(
      "stages cannot be sandboxed here: \(reason)"
        + (sandboxMode == .required ? "; process.sandbox: required refuses to run them" : "; they run unsandboxed"))
  }

  func launch(_ spec: RunSpec) throws(PluginError) -> JSONValue {
    try Self.validate(spec)
    if let worker = spec.worker, worker.keepWarm { return try launchWarm(spec, options: worker) }
    let run = RunFolder(path: spec.workDir)
    if run.hasStarted {
      throw PluginError(
        .alreadyExists, "run \(spec.runId) was already launched in \(spec.workDir)",
        detail: ["run_id": .string(spec.runId)])
    }
    try POSIXFile.makeDirectories(spec.workDir)
    if let outputs = spec.outputsDir { try POSIXFile.makeDirectories(outputs) }
    var environment = Self.inheritedEnvironment()
    environment.merge(spec.env) { _, new in new }
    let cwd = spec.codeDir ?? spec.workDir
    let command = try sandboxed(spec, environment: &environment, cwd: cwd, alsoReadable: [])
    let argv = [runner, spec.workDir, cwd, String(spec.timeoutSeconds ?? 0), "--"] + command
    let pid = try Spawn.start(argv, environment: environment)
    guard Spawn.wait(pid) == 0, let identity = run.supervisor else {
      throw PluginError(
        .internal, "the run supervisor \(runner) did not start run \(spec.runId)",
        detail: ["work_dir": .string(spec.workDir)])
    }
    var handle: JSONValue = [
      "run_id": .string(spec.runId), "backend": "process", "work_dir": .string(spec.workDir),
      "pid": .int(Int64(identity.pid)), "start_time": .int(Int64(identity.startTime)),
    ]
    markUnsandboxed(&handle)
    noteJob(runID: spec.runId, handle: handle, labels: spec.labels)
    return handle
  }

  /// `unsandboxed` in a run handle is the documented way a backend tells the host that a run
  /// has no isolation (docs/plugins.md); the host records it with the run and shows it.
  func markUnsandboxed(_ handle: inout JSONValue) {
    guard let unsandboxedReason, var fields = handle.objectValue else { return }
    fields["unsandboxed"] = .string(unsandboxedReason)
    handle = .object(fields)
  }

  func status(handle: JSONValue) throws(PluginError) -> RunStatus {
    if let warm = try WarmRun.of(handle) { return try warm.status() }
    return try RunFolder.of(handle).status()
  }

  func logs(handle: JSONValue, request: LogRequest) throws(PluginError) -> LogChunk {
    if let warm = try WarmRun.of(handle) { return try warm.logs(request) }
    let run = try RunFolder.of(handle)
    let finished = try run.status().state.isFinal
    return try LogFile.read(path: run.logPath, request: request, finished: finished)
  }

  func cancel(handle: JSONValue, reason: String?) throws(PluginError) {
    if let warm = try WarmRun.of(handle) { return try warm.cancel(reason: reason) }
    let run = try RunFolder.of(handle)
    guard run.finalRecord == nil else { return }
    run.supervisor?.signal(SIGTERM)
  }

  func cleanup(handle: JSONValue) throws(PluginError) {
    if let warm = try WarmRun.of(handle) { return try warm.cleanup() }
    let run = try RunFolder.of(handle)
    forgetJob(handle: handle)
    guard run.finalRecord == nil, let supervisor = run.supervisor, supervisor.isAlive else { return }
    supervisor.signal(SIGTERM)
  }

  func recover(handle: JSONValue) throws(PluginError) -> RecoveredRun {
    if let warm = try WarmRun.of(handle) { return RecoveredRun(handle: handle, status: try warm.status()) }
    return RecoveredRun(handle: handle, status: try RunFolder.of(handle).status())
  }

  /// What a run (or a warm worker) inherits from goldfish's own environment.
  static func inheritedEnvironment() -> [String: String] {
    var environment: [String: String] = [:]
    for key in ["PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ"] {
      if let value = ProcessInfo.processInfo.environment[key] { environment[key] = value }
    }
    return environment
  }

  /// The run's command, under bubblewrap when it works here: the run may write only below
  /// its own folder (temp files too) and reads its code, the Python path, its inputs and
  /// `alsoReadable`. With or without the sandbox, HOME and TMPDIR are folders of the run's
  /// own, so a stage's caches and temp files never land in the user's home or the project.
  func sandboxed(
    _ spec: RunSpec, environment: inout [String: String], cwd: String, alsoReadable: [String]
  )
    throws(PluginError) -> [String]
  {
    if sandbox == nil, sandboxMode == .required {
      throw PluginError(
        .unsupported,
        "run \(spec.runId) was not started: process.sandbox is required in goldfish.yaml but "
          + "\(unsandboxedReason ?? "the sandbox is unavailable"); or set process.sandbox: auto to run without it",
        detail: ["hint": .string(Sandbox.installHint)])
    }
    let temporary = spec.workDir + "/tmp"
    let home = spec.workDir + "/home"
    try POSIXFile.makeDirectories(temporary)
    try POSIXFile.makeDirectories(home)
    environment["TMPDIR"] = temporary
    environment["HOME"] = home
    guard let sandbox else {
      PluginLog.warning("run \(spec.runId) is NOT sandboxed: \(unsandboxedReason ?? "no sandbox")")
      return spec.command
    }
    var readable = [cwd] + (environment["PYTHONPATH"] ?? "").split(separator: ":").map(String.init)
    readable += spec.inputs.compactMap(\.localPath).flatMap(Self.linkTargets)
    readable += alsoReadable
    return sandbox.wrap(
      spec.command, workDir: spec.workDir, cwd: cwd, readable: readable, network: spec.profile?.network ?? false)
  }

  /// An input and, for a staged folder, where each link inside it points.
  static func linkTargets(_ path: String) -> [String] {
    guard let walker = FileManager.default.enumerator(atPath: path) else { return [path] }
    var targets = [path]
    while let item = walker.nextObject() as? String {
      let inner = path + "/" + item
      if (try? FileManager.default.destinationOfSymbolicLink(atPath: inner)) != nil { targets.append(inner) }
    }
    return targets
  }

  static func validate(_ spec: RunSpec) throws(PluginError) {
    guard !spec.command.isEmpty, !spec.command[0].isEmpty else {
      throw PluginError(.invalidArgument, "the run spec has an empty command")
    }
    guard spec.workDir.hasPrefix("/") else {
      throw PluginError(.invalidArgument, "work_dir must be an absolute path, got \(spec.workDir)")
    }
    if let timeout = spec.timeoutSeconds, timeout <= 0 {
      throw PluginError(
        .invalidArgument,
        "timeout_seconds must be positive, got \(timeout); leave it out for no limit")
    }
    for key in spec.env.keys where !Spawn.isValidEnvironmentKey(key) {
      throw PluginError(
        .invalidArgument, "environment key \(key.debugDescription) is not [A-Za-z_][A-Za-z0-9_]*")
    }
    for (name, value) in [("command", spec.command.joined()), ("work_dir", spec.workDir)]
    where value.utf8.contains(0) {
      throw PluginError(.invalidArgument, "\(name) contains a NUL byte")
    }
  }
}
