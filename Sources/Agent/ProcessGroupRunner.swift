import CAgentSupport
import Foundation
import PluginKit
import PluginSupport

/// Runs a job as a plain process, leader of its own process group, so stopping the job
/// stops everything it started and nothing else.
struct ProcessGroupRunner: JobRunner {
  func start(_ launch: JobLaunch) throws(PluginError) -> any RunningJob {
    let program = try resolve(launch.argv[0], path: launch.environment["PATH"])
    guard POSIXFile.isDirectory(launch.cwd) else {
      throw PluginError(.notFound, "the working directory \(launch.cwd) does not exist")
    }
    let env = launch.environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
    var pid: pid_t = 0
    let result = CStrings.with(launch.argv) { argv in
      CStrings.with(env) { envp in
        gf_agent_spawn(&pid, program, argv, envp, launch.cwd, launch.logDescriptor)
      }
    }
    guard result == 0, pid > 1 else { throw POSIXFile.error(result, "cannot start", program) }
    return ProcessGroupJob(leader: pid)
  }

  /// A bare name is looked up in the job's own PATH, as a shell would, but without one.
  private func resolve(_ name: String, path: String?) throws(PluginError) -> String {
    if name.contains("/") {
      guard FileManager.default.isExecutableFile(atPath: name) else {
        throw PluginError(.notFound, "the program \(name) does not exist or is not executable")
      }
      return name
    }
    let folders = (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":").map(String.init)
    for folder in folders where folder.hasPrefix("/") {
      let candidate = folder + "/" + name
      if FileManager.default.isExecutableFile(atPath: candidate) && !POSIXFile.isDirectory(candidate) {
        return candidate
      }
    }
    throw PluginError(.notFound, "the program \(name) was not found in PATH \(path ?? "(unset)")")
  }
}

final class ProcessGroupJob: RunningJob {
  /// The leader's pid, which is also the group id. Always > 1 (checked at start).
  let leader: pid_t
  private var end: JobEnd?

  init(leader: pid_t) {
    self.leader = leader
  }

  func poll() -> JobEnd? {
    reap()
    return end
  }

  func stop(graceSeconds: Int) -> JobEnd {
    terminateGroup(graceSeconds: graceSeconds)
    while end == nil {
      var status: Int32 = 0
      let done = waitpid(leader, &status, 0)
      if done == leader {
        end = Self.end(of: status)
      } else if done < 0 && errno != EINTR {
        end = JobEnd(exitCode: 128 + Int(SIGKILL), signal: SIGKILL)
      }
    }
    return end ?? JobEnd(exitCode: 1)
  }

  /// The job's group, then whatever left it (setsid, a double fork): the agent is a
  /// subreaper, so every such process is still below it, and none outlives the job.
  func stopLeftovers(graceSeconds: Int) {
    if groupExists { terminateGroup(graceSeconds: graceSeconds) }
    reap()
    if end != nil { gf_agent_end_descendants(Int32(min(graceSeconds, 2) * 1000)) }
  }

  private var groupExists: Bool {
    leader > 1 && kill(-leader, 0) == 0
  }

  /// SIGTERM to the job's group, SIGKILL after the grace period. Never pid 0, 1 or -1:
  /// those reach the agent's own group or every process (upstream §5.7 #9).
  private func terminateGroup(graceSeconds: Int) {
    guard leader > 1 else { return }
    kill(-leader, SIGTERM)
    let deadline = Clock.monotonic() + Double(graceSeconds)
    while Clock.monotonic() < deadline {
      reap()
      if !groupExists { return }
      Clock.sleep(milliseconds: 50)
    }
    if groupExists { kill(-leader, SIGKILL) }
    reap()
  }

  /// Reaps the leader and any orphan of the job handed to the agent (it is a subreaper).
  private func reap() {
    var status: Int32 = 0
    while true {
      let pid = waitpid(-1, &status, WNOHANG)
      if pid <= 0 { break }
      if pid == leader && end == nil { end = Self.end(of: status) }
    }
  }

  private static func end(of status: Int32) -> JobEnd {
    let signal = status & 0x7F
    if signal == 0 { return JobEnd(exitCode: Int((status >> 8) & 0xFF)) }
    return JobEnd(exitCode: 128 + Int(signal), signal: signal)
  }
}

enum CStrings {
  static func with<T>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> T) -> T {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { pointers.forEach { free($0) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
  }
}
