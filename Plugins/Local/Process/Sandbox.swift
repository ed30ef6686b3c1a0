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
    guard
      let pid = try? Spawn.start([bwrap, "--ro-bind", "/", "/", "--unshare-all", "--", "/bin/true"], environment: [:]),
      Spawn.wait(pid) == 0
    else {
      PluginLog.warning("bubblewrap is installed but cannot sandbox here; local runs are not sandboxed")
      return nil
    }
    return Sandbox(bwrap: bwrap)
  }

  /// Top-level folders never bound whole: kernel file systems get fresh instances, and /tmp
  /// is where other tools (a test's Docker engine, say) mount and unmount all the time; a
  /// recursive read-only bind of a mount that vanishes mid-way makes bwrap fail.
  static let unbound: Set<String> = ["proc", "dev", "sys", "tmp", "run"]

  /// `readable` are paths the run reads (code, libraries, inputs); they are bound read-only
  /// even when they live under /tmp. `workDir` is the only writable place.
  func wrap(_ command: [String], workDir: String, cwd: String, readable: [String], network: Bool) -> [String] {
    var argv = [bwrap, "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/")) ?? []
    for name in entries.sorted() where !Self.unbound.contains(name) {
      let path = "/" + name
      if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path) {
        argv += ["--symlink", target, path]
      } else {
        argv += ["--ro-bind", path, path]
      }
    }
    for path in Self.underTmp(readable) where path != workDir {
      argv += ["--ro-bind-try", path, path]
    }
    argv += ["--bind", workDir, workDir, "--unshare-all", "--die-with-parent", "--chdir", cwd]
    if network { argv.append("--share-net") }
    return argv + ["--"] + command
  }

  /// The readable paths that the /tmp tmpfs would hide, resolved, without duplicates.
  static func underTmp(_ paths: [String]) -> [String] {
    var seen: Set<String> = []
    return paths.compactMap { path -> String? in
      let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
      guard resolved.hasPrefix("/tmp/"), seen.insert(resolved).inserted else { return nil }
      return resolved
    }
  }
}
