import Foundation
import PluginKit

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// One running `goldfish plugin-host` child: its pid and the host's end of the socketpair.
/// The helper gets the other end as fd 3; its fd 1 is goldfish's stderr, so nothing a plugin
/// prints can reach goldfish's stdout (the MCP wire), and fd 0 is /dev/null.
final class HelperProcess: @unchecked Sendable {
  static let channelFD: Int32 = 3
  let pid: pid_t
  let channel: HelperChannel
  private var reaped: Int32?

  private init(pid: pid_t, fd: Int32) {
    self.pid = pid
    self.channel = HelperChannel(fd: fd)
  }

  deinit {
    if reaped == nil {
      _ = kill(pid, SIGKILL)
      _ = reap()
    }
    close(channel.fd)
  }

  /// The executable that serves `plugin-host`: this process when it is goldfish, else the
  /// goldfish next to it (a test runner or another program linking Host).
  static func executable() -> String? {
    guard let own = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return nil }
    if (own as NSString).lastPathComponent == "goldfish" { return own }
    let sibling = (own as NSString).deletingLastPathComponent + "/goldfish"
    return FileManager.default.isExecutableFile(atPath: sibling) ? sibling : nil
  }

  static func start() throws(TransportFault) -> HelperProcess {
    guard let program = executable() else {
      throw .helperFailed(
        "cannot find the goldfish executable that runs isolated plugins next to \(CommandLine.arguments.first ?? "this program")"
      )
    }
    var ends: [Int32] = [-1, -1]
    guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &ends) == 0 else {
      throw .helperFailed("cannot create a socketpair: \(String(cString: strerror(errno)))")
    }
    // Both ends above fd 3 so dup2 onto 3 always makes a fresh, inheritable descriptor.
    let host = fcntl(ends[0], F_DUPFD_CLOEXEC, 10)
    let child = fcntl(ends[1], F_DUPFD_CLOEXEC, 10)
    close(ends[0])
    close(ends[1])
    guard host >= 0, child >= 0 else {
      if host >= 0 { close(host) }
      if child >= 0 { close(child) }
      throw .helperFailed("cannot set up the helper's socket: \(String(cString: strerror(errno)))")
    }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_adddup2(&actions, 2, 1)
    posix_spawn_file_actions_adddup2(&actions, child, channelFD)
    var environment = ProcessInfo.processInfo.environment
    // A crash must end the helper at once with its signal, not after a long backtrace.
    environment["SWIFT_BACKTRACE"] = "enable=no"
    let argv = [program, "plugin-host", "--channel-fd", String(channelFD)]
    let env = environment.map { "\($0.key)=\($0.value)" }
    var pid: pid_t = 0
    let result = withCStrings(argv) { argvPointers in
      withCStrings(env) { envPointers in posix_spawn(&pid, program, &actions, nil, argvPointers, envPointers) }
    }
    close(child)
    guard result == 0 else {
      close(host)
      throw .helperFailed("cannot start \(program): \(String(cString: strerror(result)))")
    }
    return HelperProcess(pid: pid, fd: host)
  }

  /// Sends one frame and waits for the answer; a dead or silent helper becomes a fault.
  func exchange(_ frame: HelperFrame, timeout: TimeInterval?) throws(TransportFault) -> HelperFrame {
    guard channel.send(frame) else { throw died() }
    switch channel.receive(deadline: timeout.map { Date(timeIntervalSinceNow: $0) }) {
    case .frame(let answer): return answer
    case .closed: throw died()
    case .timedOut:
      stop()
      throw .timedOut(timeout ?? 0)
    }
  }

  /// Kills the helper (and with it any call it is stuck in) and reaps it.
  func stop() {
    guard reaped == nil else { return }
    _ = kill(pid, SIGKILL)
    _ = reap()
  }

  /// Asks the helper to close the service and exit; kills it if it does not within `grace`.
  func shutDown(grace: TimeInterval) {
    guard reaped == nil else { return }
    if channel.send(HelperFrame(header: ["op": "close"])),
      case .frame = channel.receive(deadline: Date(timeIntervalSinceNow: grace))
    {
      shutdown(channel.fd, Int32(SHUT_RDWR))
      if waitExit(within: grace) { return }
    }
    stop()
  }

  private func died() -> TransportFault {
    // The channel closes when the helper ends; one that closed it and lives on is killed.
    if !waitExit(within: 5) { _ = kill(pid, SIGKILL) }
    let status = reap()
    if status & 0x7F != 0 { return .crashed(signal: status & 0x7F, exitStatus: nil) }
    return .crashed(signal: nil, exitStatus: (status >> 8) & 0xFF)
  }

  private func waitExit(within seconds: TimeInterval) -> Bool {
    let deadline = Date(timeIntervalSinceNow: seconds)
    while Date() < deadline {
      var status: Int32 = 0
      if waitpid(pid, &status, WNOHANG) == pid {
        reaped = status
        return true
      }
      usleep(10_000)
    }
    return false
  }

  /// Waits for the helper's end and returns its raw wait status.
  private func reap() -> Int32 {
    if let reaped { return reaped }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 {
      if errno != EINTR {
        status = 0
        break
      }
    }
    reaped = status
    return status
  }

  private static func withCStrings<T>(
    _ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> T
  ) -> T {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { for pointer in pointers { free(pointer) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
  }
}
