import Foundation
import PluginSupport
import Testing

@testable import GoldfishTestSupport

/// A fresh machine gets everything by running the scripts: every program the code, the tests,
/// the benchmarks and the scripts run is installed by one of them, or is part of every Debian
/// system. The programs are found by reading the sources, so a new one fails this test until
/// it has a row below and its package is in the script the row names.
@Suite("dependency scripts")
struct DependencyScriptsTests {
  enum Provider: Equatable {
    /// A Debian package the script installs (its name appears in the script).
    case package(String, script: String)
    /// A PyPI package the script installs into its venv.
    case venv(String, script: String)
    /// Part of every Debian system (Priority: required/important), or a shell builtin.
    case essential
    /// Built by this repository, or the Swift toolchain (deps.sh checks it is on PATH).
    case built
  }

  static let providers: [String: Provider] = [
    "bwrap": .package("bubblewrap", script: "scripts/deps.sh"),
    "cc": .package("gcc", script: "scripts/deps.sh"),
    "gcc": .package("gcc", script: "scripts/deps.sh"),
    "pkg-config": .package("pkg-config", script: "scripts/deps.sh"),
    "python3": .package("python3", script: "scripts/deps.sh"),
    "curl": .package("curl", script: "scripts/deps.sh"),
    "pgrep": .package("procps", script: "scripts/deps.sh"),
    "pkill": .package("procps", script: "scripts/deps.sh"),
    "git": .package("git", script: "scripts/deps.sh"),
    "time": .package("time", script: "scripts/deps.sh"),
    "dockerd": .package("docker.io", script: "scripts/docker-engine.sh"),
    "docker": .package("docker.io", script: "scripts/docker-engine.sh"),
    "debootstrap": .package("debootstrap", script: "scripts/docker-engine.sh"),
    "gcp-storage-emulator": .venv("gcp-storage-emulator", script: "scripts/gcs-emulator.sh"),
    "gcplocal": .venv("gcplocal", script: "scripts/gcplocal.sh"),
    // The local Slurm cluster (scripts/slurm-local.sh) and the tools tests and bench use on it.
    "munged": .package("munge", script: "scripts/deps.sh"), "mungekey": .package("munge", script: "scripts/deps.sh"),
    "munge": .package("munge", script: "scripts/deps.sh"), "unmunge": .package("munge", script: "scripts/deps.sh"),
    "slurmctld": .package("slurm-wlm", script: "scripts/deps.sh"),
    "slurmd": .package("slurm-wlm", script: "scripts/deps.sh"),
    "slurmrestd": .package("slurmrestd", script: "scripts/deps.sh"),
    "sinfo": .package("slurm-wlm", script: "scripts/deps.sh"),
    "scontrol": .package("slurm-wlm", script: "scripts/deps.sh"),
    "squeue": .package("slurm-wlm", script: "scripts/deps.sh"),
    "scancel": .package("slurm-wlm", script: "scripts/deps.sh"),
    "sbatch": .package("slurm-wlm", script: "scripts/deps.sh"),
    "chromium": .package("chromium", script: "scripts/deps.sh"),
    "chromedriver": .package("chromium-driver", script: "scripts/deps.sh"),
    "xdg-open": .package("xdg-utils", script: "scripts/deps.sh"),
    "docker-registry": .package("docker-registry", script: "scripts/deps.sh"),
    "swift": .built, "goldfish": .built, "goldfish-runner": .built, "goldfish-agent": .built,
  ]

  static let essential: Set<String> = [
    "sh", "bash", "env", "true", "false", "echo", "sleep", "cat", "cp", "mv", "rm", "ln", "mkdir", "mktemp", "chmod",
    "tar", "mount", "umount", "ldd", "id", "md5sum", "seq", "cut", "tail", "head", "grep", "sed", "find", "sort",
    "kill", "dpkg-query", "apt-get", "sudo", "setsid", "wc", "tr", "date", "ls", "touch", "xargs", "nproc", "dirname",
    "basename", "printf", "test", "timeout", "stat", "uname", "install", "pwd", "unshare", "pivot_root", "compgen",
    "dd", "chown", "hostname",
    "mkfifo", "tee", "awk",
  ]

  /// Words in a command position that are not programs: shell keywords and builtins.
  static let shellWords: Set<String> = [
    "if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done", "case", "esac", "in", "function",
    "return", "local", "export", "set", "source", "cd", "exit", "exec", "trap", "wait", "command", "declare", "read",
    "shift", "unset", "break", "continue", "eval", "type", "hash", "shopt", "pushd", "popd", "builtin", "let", "disown",
  ]

  /// argv[0] values in tests that are not programs: goldfish subcommands and fake commands a
  /// test hands to a fake worker.
  static let notPrograms: Set<String> = ["serve", "web", "sleeper", "GOLDFISH_RUN_ID", "-n", "-c", "/nonexistent/program"]

  static var root: String { TestEnvironment.packageRoot }

  static func files(under folder: String, extensions: Set<String>) -> [String] {
    guard let walker = FileManager.default.enumerator(atPath: root + "/" + folder) else { return [] }
    var found: [String] = []
    while let item = walker.nextObject() as? String {
      if item.hasPrefix(".") || item.contains("/.") { continue }
      let ext = (item as NSString).pathExtension
      if extensions.contains(ext) || (ext.isEmpty && extensions.contains("")) {
        found.append(folder + "/" + item)
      }
    }
    return found
  }

  static func matches(_ pattern: String, in text: String, group: Int = 1) -> [String] {
    guard let regex = try? NSRegularExpression(pattern: pattern, options: [.anchorsMatchLines]) else { return [] }
    let range = NSRange(text.startIndex..., in: text)
    return regex.matches(in: text, range: range).compactMap { match in
      Range(match.range(at: group), in: text).map { String(text[$0]) }
    }
  }

  /// Program name → the first file that runs it.
  static func programsRun() -> [String: String] {
    var programs: [String: String] = [:]
    func note(_ name: String, _ file: String) {
      let program = name.split(separator: "/").last.map(String.init) ?? name
      if programs[program] == nil { programs[program] = file }
    }
    let code =
      files(under: "Sources", extensions: ["swift", "c"]) + files(under: "Plugins", extensions: ["swift"])
      + files(under: "Tests", extensions: ["swift", "py", "c"]) + files(under: "bench", extensions: ["py"])
      + files(under: "python/goldfish", extensions: ["py"])
    for file in code {
      guard let text = try? String(contentsOfFile: root + "/" + file, encoding: .utf8) else { continue }
      // Absolute paths of programs, wherever they appear in a string.
      for path in matches(#""((?:/usr)?/s?bin/[A-Za-z0-9_.+-]+)""#, in: text) { note(path, file) }
      // argv arrays handed to whatever starts a process.
      let starter =
        #"(?:Spawn\.start|Command\.run|\.run|Popen|check_output|check_call|arguments\s*=|command:)\s*\(?\s*\[\s*"([^"$\\]+)""#
      for name in matches(starter, in: text) where !notPrograms.contains(name) { note(name, file) }
    }
    let scripts =
      files(under: "scripts", extensions: ["sh"]) + files(under: "bench", extensions: ["sh"])
      + files(under: "Tests/Fixtures", extensions: ["sh"]) + [".ci/run"]
    let functions = Set(
      scripts.flatMap { file in
        matches(
          #"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*\(\)"#,
          in: (try? String(contentsOfFile: root + "/" + file, encoding: .utf8)) ?? "")
      })
    for file in scripts {
      guard let text = try? String(contentsOfFile: root + "/" + file, encoding: .utf8) else { continue }
      var inArray = false
      for line in text.split(separator: "\n").map(String.init) {
        if line.trimmingCharacters(in: .whitespaces).hasPrefix("#") { continue }
        // A multi-line array literal lists words, not commands.
        if inArray {
          if line.contains(")") { inArray = false }
          continue
        }
        if line.contains("=(") && !line.contains(")") {
          inArray = true
          continue
        }
        for word in commandWords(in: line) where !shellWords.contains(word) && !functions.contains(word) {
          note(word, file)
        }
      }
    }
    return programs
  }

  /// The words of a shell line in a command position (first word, after ; | & ( $( then do …),
  /// once strings, arithmetic, array literals and case patterns are out of the way.
  static func commandWords(in line: String) -> [String] {
    var code = line.components(separatedBy: " #").first ?? line
    for (pattern, replacement) in [
      (#"\$?\(\([^)]*\)\)"#, ""), (#""(?:[^"$]|\$[^(])*""#, "\"\""), ("'[^']*'", "''"), (#"=\([^)]*\)"#, "="),
      (#"^\s*[A-Za-z0-9_.*|-]+\)\s*"#, ""),
    ] {
      guard let regex = try? NSRegularExpression(pattern: pattern) else { continue }
      code = regex.stringByReplacingMatches(
        in: code, range: NSRange(code.startIndex..., in: code), withTemplate: replacement)
    }
    let position = #"(?:^\s*|[;&|({]\s*|\$\(\s*|\b(?:then|do|else|if|until|while|!)\s+)([a-z][a-z0-9_.+-]*)(?=\s|$|\))"#
    return matches(position, in: code)
  }

  @Test("every program the code, tests and scripts run is installed by a script or part of Debian")
  func everyProgramHasAnInstaller() throws {
    let programs = Self.programsRun()
    #expect(programs["bwrap"] != nil, "the scan no longer sees the sandbox's bwrap: the scan is broken")
    #expect(programs["dockerd"] != nil, "the scan no longer sees dockerd in docker-engine.sh: the scan is broken")
    var missing: [String] = []
    for (program, file) in programs.sorted(by: { $0.key < $1.key }) {
      if Self.essential.contains(program) || Self.shellWords.contains(program) { continue }
      guard let provider = Self.providers[program] else {
        missing.append("\(program) (run by \(file)) has no row in DependencyScriptsTests.providers")
        continue
      }
      switch provider {
      case .package(let package, let script), .venv(let package, let script):
        let text = try String(contentsOfFile: Self.root + "/" + script, encoding: .utf8)
        let words = Set(text.split(whereSeparator: { " \n\t()\"'=".contains($0) }).map(String.init))
        if !words.contains(package) && !text.contains(package + "==") {
          missing.append("\(program) (run by \(file)) needs \(package), which \(script) does not install")
        }
      case .essential, .built:
        continue
      }
    }
    #expect(missing.isEmpty, "\(missing.joined(separator: "\n"))")
  }

  @Test("the scan finds programs a script starts, so a new uninstalled one fails the test above")
  func scanSeesScriptCommands() {
    let programs = Self.programsRun()
    for expected in ["curl", "debootstrap", "python3", "dockerd", "git", "bwrap"] {
      #expect(programs[expected] != nil, "\(expected) is run by the repository but the scan missed it")
    }
    #expect(Self.providers["fortune"] == nil && programs["fortune"] == nil)
  }
}
