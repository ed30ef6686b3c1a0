import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A goldfish command run with posix_spawn and reaped with wait4, so the test learns the peak
/// memory (max RSS) of that one process: "bounded memory" is then a number, not a hope.
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
    let argv = [TestEnvironment.goldfish] + arguments
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
    var usage = rusage()
    while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
    let read = { (name: String) in (try? String(contentsOfFile: folder + "/" + name, encoding: .utf8)) ?? "" }
    let signaled = (status & 0x7f) != 0 && (status & 0x7f) != 0x7f
    return MeasuredResult(
      status: signaled ? -1 : (status >> 8) & 0xff, signal: signaled ? status & 0x7f : nil, stdout: read("out"),
      stderr: read("err"), maxResidentKilobytes: usage.ru_maxrss)
  }
}
