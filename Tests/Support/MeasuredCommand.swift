import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A goldfish command run under GNU time, so the test learns the peak memory (max RSS) of that
/// one process: "bounded memory" is then a number, not a hope. Not wait4 on our own posix_spawn:
/// glibc spawns with vfork, and the kernel carries the parent's RSS high-water mark across exec,
/// so the child's figure included this test process's own peak (251 MB once, in CI). time forks
/// from its own small process instead.
struct MeasuredResult {
  var status: Int32
  /// The signal that killed it, if one did (a crash: SIGSEGV, SIGABRT, SIGKILL by the OOM killer).
  var signal: Int32?
  var stdout: String
  var stderr: String
  var maxResidentKilobytes: Int
}

enum MeasuredCommand {
  static func goldfish(_ arguments: [String]) -> MeasuredResult {
    let folder = TestEnvironment.temporaryFolder("measured")
    let argv =
      ["/usr/bin/time", "-f", "goldfish-peak-kb=%M", "-o", folder + "/peak", TestEnvironment.goldfish] + arguments
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, folder + "/out", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_addopen(&actions, 2, folder + "/err", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    var environment = ProcessInfo.processInfo.environment
    environment["HOME"] = NSTemporaryDirectory() + "goldfish-test-home"
    environment["GOLDFISH_PLUGIN_PATH"] = nil
    var envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    var pointers: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
    defer {
      pointers.forEach { free($0) }
      envp.forEach { free($0) }
    }
    var pid: pid_t = 0
    guard posix_spawn(&pid, argv[0], &actions, nil, &pointers, &envp) == 0 else {
      return MeasuredResult(status: -1, signal: nil, stdout: "", stderr: "spawn failed", maxResidentKilobytes: 0)
    }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let read = { (name: String) in (try? String(contentsOfFile: folder + "/" + name, encoding: .utf8)) ?? "" }
    // time writes "Command terminated by signal N" when goldfish died of one, then the format line.
    var signal: Int32?
    var peak = 0
    for line in read("peak").split(separator: "\n") {
      if line.hasPrefix("Command terminated by signal "), let number = Int32(line.split(separator: " ").last ?? "") {
        signal = number
      } else if line.hasPrefix("goldfish-peak-kb="), let kilobytes = Int(line.dropFirst("goldfish-peak-kb=".count)) {
        peak = kilobytes
      }
    }
    let exited = (status & 0x7f) == 0 ? (status >> 8) & 0xff : -1
    return MeasuredResult(
      status: signal == nil ? exited : -1, signal: signal, stdout: read("out"), stderr: read("err"),
      maxResidentKilobytes: peak)
  }
}
