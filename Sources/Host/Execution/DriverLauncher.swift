import Foundation
import PluginKit

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Starts `goldfish drive PIPELINE_RUN` as a detached process (own session, output to the
/// run's driver.log), so a run goes on after the command that started it returns.
public enum DriverLauncher {
  /// glibc's POSIX_SPAWN_SETSID, which Swift's Glibc module does not export.
  static let setsidFlag: Int16 = 0x80
  /// POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK.
  static let resetSignalsFlags: Int16 = 0x04 | 0x08

  /// How many drivers one pipeline run gets without any of them making progress (the first
  /// included); after that the run ends failed with the error that stopped the last one.
  public static let maxStarts = 5

  /// Restarts are not spaced: "the next command resumes the run" must hold even right after a
  /// start. Two processes that find the same dead driver may both start one; the one that does
  /// not get the lease takes its start back (PipelineDriver), so only drivers that ran count.
  static let restartGap: TimeInterval = 0

  public static func spawn(project: Project, pipelineRunID: String) throws(GoldfishError) {
    _ = try? project.store.claimDriverStart(pipelineRunID)
    do {
      try spawnUncounted(project: project, pipelineRunID: pipelineRunID)
    } catch {
      // `run` reports this error: the run it recorded must not stay `running` behind it.
      try? RunAbandonment(store: project.store).abandon(pipelineRunID, message: error.message)
      throw error
    }
  }

  static func spawnUncounted(project: Project, pipelineRunID: String) throws(GoldfishError) {
    let layout = project.paths.runLayout
    try? FileManager.default.createDirectory(atPath: layout.folder(pipelineRunID), withIntermediateDirectories: true)
    try spawnDetached(
      ["drive", pipelineRunID, "--project", project.location.root], log: layout.driverLog(pipelineRun: pipelineRunID),
      what: "the driver of \(pipelineRunID)")
  }

  /// Runs this goldfish executable with `arguments` in its own session, output to `log`.
  public static func spawnDetached(_ arguments: [String], log: String, what: String) throws(GoldfishError) {
    guard let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else {
      throw GoldfishError(.ioFailed, "cannot find the goldfish executable to start \(what)")
    }
    let argv = [executable] + arguments
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    // Whatever this process blocks or ignores (a test runner, a thread of the MCP server) must
    // not reach the driver: blocked SIGTERM made a driver that `kill` could not stop.
    var empty = sigset_t()
    sigemptyset(&empty)
    posix_spawnattr_setsigmask(&attributes, &empty)
    var defaults = sigset_t()
    sigemptyset(&defaults)
    for signal in [SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE] { sigaddset(&defaults, signal) }
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setflags(&attributes, setsidFlag | resetSignalsFlags)
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    markDescriptorsCloseOnExec()
    var pid: pid_t = 0
    var pointers: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
    defer { pointers.forEach { free($0) } }
    let result = posix_spawn(&pid, executable, &actions, &attributes, &pointers, environ)
    guard result == 0 else {
      throw GoldfishError(.ioFailed, "cannot start \(what): \(String(cString: strerror(result)))")
    }
    reap(pid)
  }

  /// Waits for a spawned child on a thread of its own, so a long-lived parent (`goldfish serve`)
  /// never collects zombies. The thread lives as long as the child.
  static func reap(_ pid: pid_t) {
    Thread.detachNewThread {
      var status: Int32 = 0
      while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    }
  }

  /// A driver must not inherit this process's descriptors: a caller's pipe held open by it
  /// would keep that caller waiting for the whole run.
  static func markDescriptorsCloseOnExec() {
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return }
    for fd in entries.compactMap(Int32.init) where fd > 2 {
      let flags = fcntl(fd, F_GETFD)
      if flags >= 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
    }
  }

  /// Restarts drivers for pipeline runs whose driver died (no live lease holder).
  public static func resumeInterrupted(project: Project) {
    try? project.journal.refreshStateMDIfStale()
    guard let runs = try? project.store.activePipelineRuns() else { return }
    let moments = Timestamp.format(Date().addingTimeInterval(-10))
    for run in runs where (try? project.store.leaseIsFree("pipeline-run:\(run.id)")) == true {
      // Never leased and only just started: its own driver is still starting, not dead.
      if run.createdAt > moments, (try? project.store.leaseExists("pipeline-run:\(run.id)")) == false { continue }
      if run.driverStarts >= maxStarts {
        giveUp(project: project, run)
      } else if (try? project.store.claimDriverStart(run.id, minimumGap: restartGap)) != nil {
        try? spawnUncounted(project: project, pipelineRunID: run.id)
      }
    }
  }

  /// Ends a run whose drivers keep dying: its stages and the run fail with what stopped them.
  static func giveUp(project: Project, _ run: PipelineRunRecord) {
    let log = project.paths.runLayout.driverLog(pipelineRun: run.id)
    let cause = run.driverError ?? DriverCrashNote.lastCrash(inLog: log) ?? "it stopped without saying why"
    let message =
      "its driver stopped \(run.driverStarts) times without finishing, so the run was given up; "
      + "the last one: \(cause) (log: \(log))"
    try? RunAbandonment(store: project.store).abandon(run.id, message: message)
    try? project.journal.regenerateStateMD()
  }
}
