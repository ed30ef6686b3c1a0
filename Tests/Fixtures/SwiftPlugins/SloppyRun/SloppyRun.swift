import Foundation
import PluginABI
import PluginKit

/// Fixture "sloppyrun": a small but working process run backend written only against PluginKit,
/// which makes one mistake on demand (config `fault`) so each conformance case is seen to fail:
///   none          passes every case
///   no_timeout    ignores timeout_seconds
///   bare_env      drops spec.env and runs the job in "/"
///   cleanup_noop  cleanup of a running job leaves it running
///   memory_only   remembers its jobs in memory only: a fresh instance knows none of them
///   one_slot      keeps one job: a launch stops the job launched before it
///   racy_cancel   status fails while a cancel is under way
/// Config: `root` (required) holds one folder per job: pid, exit, cause, log.
final class SloppyRun: RunBackend, @unchecked Sendable {
  static let serviceName = "sloppyrun"
  static let capabilities: JSONValue = [
    "concurrency": "parallel", "implemented": true, "needs_image": false, "gpu": false,
    "logs": "offset", "recover": true,
  ]

  private struct Config: Decodable {
    var root: String
    var fault: String?
  }

  /// Checks its section as the conformance suite expects; the fault `config_blind` lets an
  /// unknown key through unnamed, the mistake the check_config case is there to catch.
  static func checkConfig(_ config: JSONValue, context: ServiceContext) -> ConfigReport? {
    let blind = config["fault"]?.stringValue == "config_blind"
    let unknown = blind ? [] : ConfigReport.unknownKeys(in: config, allowed: ["root", "fault"])
    do {
      let settings = try decodeConfig(Config.self, from: config)
      return ConfigReport(
        effective: ["root": .string(settings.root), "fault": .string(settings.fault ?? "none")], problems: unknown)
    } catch {
      return ConfigReport(refused: error, problems: unknown)
    }
  }

  private let root: String
  private let fault: String
  private let lock = NSLock()
  private var known: Set<String> = []

  init(config: JSONValue, context: ServiceContext) throws(PluginError) {
    let settings = try Self.decodeConfig(Config.self, from: config)
    root = settings.root
    fault = settings.fault ?? "none"
    try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
  }

  func launch(_ spec: RunSpec) throws(PluginError) -> JSONValue {
    let folder = root + "/" + spec.runId
    guard !FileManager.default.fileExists(atPath: folder) else {
      throw PluginError(.alreadyExists, "run \(spec.runId) was launched already")
    }
    if fault == "one_slot" {
      for other in lock.withLock({ known }) { stop(root + "/" + other, cause: "user") }
      lock.withLock { known.removeAll() }
    }
    try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    // The supervisor: runs the job, enforces the timeout, writes the exit code when it ends.
    let script = """
      dir=$1; limit=$2; shift 2
      "$@" > "$dir/log" 2>&1 & job=$!
      echo $job > "$dir/pid"
      if [ "$limit" -gt 0 ]; then
        (sleep "$limit"; [ -e "$dir/exit" ] || { echo timeout > "$dir/cause"; kill -TERM $job; }) &
      fi
      wait $job; code=$?
      echo $code > "$dir/exit.tmp"; mv "$dir/exit.tmp" "$dir/exit"
      """
    let limit = fault == "no_timeout" ? 0 : (spec.timeoutSeconds ?? 0)
    var environment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
    if fault != "bare_env" { environment.merge(spec.env) { _, new in new } }
    let cwd = fault == "bare_env" ? "/" : (spec.codeDir ?? spec.workDir)
    try Self.spawn(
      ["/bin/sh", "-c", "cd \"$1\" || exit 111; shift; " + script, "sh", cwd, folder, String(limit)] + spec.command,
      environment: environment)
    lock.withLock { _ = known.insert(spec.runId) }
    // The job's pid is what cancel signals: answer only once it is written.
    for _ in 0..<500 where read(folder + "/pid") == nil { usleep(10_000) }
    return ["run_id": .string(spec.runId), "backend": "sloppyrun"]
  }

  func status(handle: JSONValue) throws(PluginError) -> RunStatus {
    let folder = try self.folder(handle)
    if fault == "racy_cancel" && FileManager.default.fileExists(atPath: folder + "/canceling") {
      throw PluginError(.conflict, "a cancel is under way")
    }
    let cause = read(folder + "/cause")
    guard let exit = read(folder + "/exit").flatMap({ Int($0) }) else {
      return RunStatus(state: .running)
    }
    switch cause {
    case "timeout": return RunStatus(state: .terminated, exitCode: exit, terminationCause: .timeout)
    case "user": return RunStatus(state: .canceled, exitCode: exit, terminationCause: .user)
    default:
      return RunStatus(state: exit == 0 ? .completed : .failed, exitCode: exit, terminationCause: .exit)
    }
  }

  func logs(handle: JSONValue, request: LogRequest) throws(PluginError) -> LogChunk {
    let folder = try self.folder(handle)
    let finished = FileManager.default.fileExists(atPath: folder + "/exit")
    let bytes = [UInt8](FileManager.default.contents(atPath: folder + "/log") ?? Data())
    if let tail = request.tail {
      let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n").suffix(tail)
      return LogChunk(
        text: lines.map { $0 + "\n" }.joined(), nextOffset: Int64(bytes.count), complete: finished)
    }
    let offset = Int(min(max(request.offset ?? 0, 0), Int64(bytes.count)))
    return LogChunk(
      text: String(decoding: bytes[offset...], as: UTF8.self), nextOffset: Int64(bytes.count), complete: finished)
  }

  func cancel(handle: JSONValue, reason: String?) throws(PluginError) {
    let folder = try self.folder(handle)
    if fault == "racy_cancel" {
      FileManager.default.createFile(atPath: folder + "/canceling", contents: nil)
      usleep(300_000)
    }
    stop(folder, cause: "user")
    if fault == "racy_cancel" { try? FileManager.default.removeItem(atPath: folder + "/canceling") }
  }

  func cleanup(handle: JSONValue) throws(PluginError) {
    let folder = try self.folder(handle)
    if fault != "cleanup_noop" { stop(folder, cause: "user") }
  }

  func recover(handle: JSONValue) throws(PluginError) -> RecoveredRun {
    RecoveredRun(handle: handle, status: try status(handle: handle))
  }

  private func folder(_ handle: JSONValue) throws(PluginError) -> String {
    guard let runId = handle["run_id"]?.stringValue, !runId.isEmpty, !runId.contains("/") else {
      throw PluginError(.invalidArgument, "the handle has no valid run_id: \(handle)")
    }
    let folder = root + "/" + runId
    let forgotten = fault == "memory_only" && !lock.withLock({ known.contains(runId) })
    guard !forgotten, FileManager.default.fileExists(atPath: folder) else {
      throw PluginError(.notFound, "no job \(runId) here")
    }
    return folder
  }

  /// Ends a job that is still running: records why, then signals it.
  private func stop(_ folder: String, cause: String) {
    guard read(folder + "/exit") == nil, let pid = read(folder + "/pid").flatMap({ Int32($0) }) else { return }
    if read(folder + "/cause") == nil {
      FileManager.default.createFile(atPath: folder + "/cause", contents: Data(cause.utf8))
    }
    kill(pid, SIGTERM)
  }

  /// Starts the supervisor the way a backend inside a multithreaded host must: with a clean signal
  /// mask and default dispositions (the host blocks or ignores some), and stdio on /dev/null, so
  /// holding goldfish's own stdout or stderr never keeps a reader waiting for as long as a job lives.
  private static func spawn(_ argv: [String], environment: [String: String]) throws(PluginError) {
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var empty = sigset_t()
    sigemptyset(&empty)
    var all = sigset_t()
    sigfillset(&all)
    posix_spawnattr_setsigmask(&attributes, &empty)
    posix_spawnattr_setsigdefault(&attributes, &all)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    for fd: Int32 in [0, 1, 2] {
      posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0)
    }
    let cArgs = argv.map { strdup($0) } + [nil]
    let cEnv = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { for pointer in cArgs + cEnv { free(pointer) } }
    var pid: pid_t = 0
    let result = posix_spawn(&pid, argv[0], &actions, &attributes, cArgs, cEnv)
    guard result == 0 else { throw PluginError(.io, "cannot start the job: \(String(cString: strerror(result)))") }
  }

  private func read(_ path: String) -> String? {
    guard let data = FileManager.default.contents(atPath: path) else { return nil }
    return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
  }
}

@_cdecl("goldfish_plugin_entry")
public func goldfishPluginEntry(_ host: UnsafePointer<gf_host_api>?) -> UnsafeRawPointer? {
  Plugin.export(
    host, name: "sloppyrun", version: "1.0.0", description: "Fixture: a run backend with one mistake on demand",
    services: [SloppyRun.self])
}
