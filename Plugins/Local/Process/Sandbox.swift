import Foundation
import PluginKit
import PluginSupport

/// `process.sandbox` in goldfish.yaml. `auto` (the default) sandboxes when bubblewrap works
/// here and otherwise runs the stage anyway, saying so in the run's record; `required`
/// refuses to run a stage unsandboxed; `off` never sandboxes. `true`/`false` are read as
/// `auto`/`off` (the setting's earlier form).
enum SandboxMode: String, Sendable {
  case required, auto, off

  /// The setting as goldfish.yaml gives it (absent: auto).
  static func parse(_ value: JSONValue?) throws(PluginError) -> SandboxMode {
    guard let value, !value.isNull else { return .auto }
    if let flag = value.boolValue { return flag ? .auto : .off }
    if let text = value.stringValue, let mode = SandboxMode(rawValue: text) { return mode }
    let shown = value.stringValue.map { String($0.prefix(40)).debugDescription } ?? "not a string"
    throw PluginError(
      .invalidArgument, "process.sandbox in goldfish.yaml is \(shown); allowed values: required, auto, off",
      detail: ["hint": "auto (the default) sandboxes when bubblewrap works and says so when it cannot"])
  }
}

/// bubblewrap around a local run when it is installed and works here: the whole file system
/// read-only, the run's work folder writable, no network unless the profile asks for it.
struct Sandbox: Sendable {
  let bwrap: String

  static let searched = ["/usr/bin/bwrap", "/bin/bwrap", "/usr/local/bin/bwrap"]
  static let installHint = "install bubblewrap (apt-get install bubblewrap)"

  /// The sandbox, or why there is none (a sentence naming the fix).
  static func detect(mode: SandboxMode, bwrap configured: String?) -> Result<Sandbox, Unavailable> {
    SandboxProbe(mode: mode, bwrap: configured).result
  }

  /// Where bubblewrap is, or why the sandbox is off or missing (known without running anything).
  static func locate(mode: SandboxMode, bwrap configured: String?) -> Result<String, Unavailable> {
    if mode == .off { return .failure(Unavailable(reason: "process.sandbox is off in goldfish.yaml")) }
    let candidates = configured.map { [$0] } ?? searched
    guard let bwrap = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
      return .failure(
        Unavailable(
          reason: "bubblewrap is not installed (looked for \(candidates.joined(separator: ", "))): \(installHint)"))
    }
    return .success(bwrap)
  }

  /// Starts bubblewrap creating every namespace a run gets around `/bin/true`; `verdict` waits for it.
  static func startProbe(_ bwrap: String) -> pid_t? {
    try? Spawn.start([bwrap, "--ro-bind", "/", "/", "--unshare-all", "--", "/bin/true"], environment: [:])
  }

  static func verdict(bwrap: String, probe: pid_t?) -> Result<Sandbox, Unavailable> {
    guard let probe, Spawn.wait(probe) == 0 else {
      return .failure(
        Unavailable(
          reason:
            "\(bwrap) cannot create namespaces on this machine (user namespaces disabled?): "
            + "enable them (sysctl kernel.unprivileged_userns_clone=1) or run goldfish where bubblewrap works"))
    }
    return .success(Sandbox(bwrap: bwrap))
  }

  struct Unavailable: Error, Sendable {
    let reason: String
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

/// Whether bubblewrap works here, found out beside the caller's own work: the probe (a bwrap
/// process creating every namespace a run gets) starts when the backend opens, a thread of its
/// own reaps it, and only a run that needs the answer waits for it; so a `run` versions its
/// workspace and stages inputs while the kernel builds and tears down the probe's namespaces on
/// the other core. The same probe as before, once per process, and every launch still has its
/// verdict before it starts anything.
final class SandboxProbe: @unchecked Sendable {
  private let condition = NSCondition()
  private var resolved: Result<Sandbox, Sandbox.Unavailable>?

  init(mode: SandboxMode, bwrap configured: String?) {
    switch Sandbox.locate(mode: mode, bwrap: configured) {
    case .failure(let unavailable):
      resolved = .failure(unavailable)
    case .success(let bwrap):
      let probe = Sandbox.startProbe(bwrap)
      Thread.detachNewThread { [self] in
        let verdict = Sandbox.verdict(bwrap: bwrap, probe: probe)
        condition.withLock {
          resolved = verdict
          condition.broadcast()
        }
      }
    }
  }

  /// Known without waiting: the sandbox is off or bubblewrap is missing (nil while the probe runs).
  var knownFailure: Sandbox.Unavailable? {
    condition.withLock {
      if case .failure(let unavailable)? = resolved { return unavailable }
      return nil
    }
  }

  /// The verdict, waiting for the probe if it is still running.
  var result: Result<Sandbox, Sandbox.Unavailable> {
    condition.withLock {
      while true {
        if let resolved { return resolved }
        condition.wait()
      }
    }
  }
}
