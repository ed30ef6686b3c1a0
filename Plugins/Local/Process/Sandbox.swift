import Foundation
import PluginKit

/// bubblewrap around a local run when it is installed and works here: the whole file system
/// read-only, the run's work folder writable, no network unless the profile asks for it.
struct Sandbox: Sendable {
  let bwrap: String

  /// nil when bwrap is missing or cannot create namespaces on this machine.
  static func detect(configured: Bool?) -> Sandbox? {
    guard configured != false else { return nil }
    let candidates = ["/usr/bin/bwrap", "/bin/bwrap", "/usr/local/bin/bwrap"]
    guard let bwrap = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
      return nil
    }
    guard let pid = try? Spawn.start([bwrap, "--ro-bind", "/", "/", "--unshare-all", "--", "/bin/true"], environment: [:]),
      Spawn.wait(pid) == 0
    else {
      PluginLog.warning("bubblewrap is installed but cannot sandbox here; local runs are not sandboxed")
      return nil
    }
    return Sandbox(bwrap: bwrap)
  }

  func wrap(_ command: [String], workDir: String, cwd: String, network: Bool) -> [String] {
    var argv = [
      bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--bind", workDir, workDir,
      "--unshare-all", "--die-with-parent", "--chdir", cwd,
    ]
    if network { argv.append("--share-net") }
    return argv + ["--"] + command
  }
}
