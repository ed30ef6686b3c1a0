import Foundation
import PluginKit

/// Where the JWT for slurmrestd comes from. The token is read when a request needs it and is
/// never written to a log, an error, a handle or `config show`.
enum TokenSource: Sendable, Equatable, CustomStringConvertible {
  case literal(String)
  case file(String)
  /// An environment variable of the goldfish process (default SLURM_JWT, what `scontrol token` prints).
  case environment(String)
  /// An argv printing the token (`scontrol token lifespan=3600` prints `SLURM_JWT=…`), run again
  /// once `ttlSeconds` have passed.
  case command([String], ttlSeconds: Int)

  var description: String {
    switch self {
    case .literal: return "(set in goldfish.yaml, hidden)"
    case .file(let path): return "from the file \(path)"
    case .environment(let name): return "from $\(name)"
    case .command(let argv, _): return "printed by \(argv.joined(separator: " "))"
    }
  }

  /// False only for an environment variable that is not set: then requests carry no token.
  func isConfigured(_ environment: [String: String]) -> Bool {
    if case .environment(let name) = self { return !(environment[name] ?? "").isEmpty }
    return true
  }

  /// True for the sources a user named explicitly (sent over a unix socket too).
  var isExplicit: Bool {
    if case .environment = self { return false }
    return true
  }

  /// The token now, or nil when none is configured.
  func read(environment: [String: String] = ProcessInfo.processInfo.environment) throws(PluginError) -> String? {
    switch self {
    case .literal(let token): return Self.clean(token)
    case .environment(let name): return environment[name].flatMap { Self.clean($0) }
    case .file(let path):
      guard let text = try? String(contentsOfFile: path, encoding: .utf8), let token = Self.clean(text) else {
        throw PluginError(
          .unauthenticated, "cannot read the Slurm token from slurm.token_file \(path)",
          detail: ["hint": "write the output of `scontrol token` there, or use slurm.token_command"])
      }
      return token
    case .command(let argv, _):
      return try Self.run(argv)
    }
  }

  /// `SLURM_JWT=eyJ…` or the bare token, without surrounding white space.
  static func clean(_ text: String) -> String? {
    var token = text.trimmingCharacters(in: .whitespacesAndNewlines)
    if let line = token.split(separator: "\n").first(where: { $0.hasPrefix("SLURM_JWT=") }) {
      token = String(line.dropFirst("SLURM_JWT=".count))
    }
    return token.isEmpty ? nil : token
  }

  private static func run(_ argv: [String]) throws(PluginError) -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = argv
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    process.standardInput = FileHandle.nullDevice
    do {
      try process.run()
    } catch {
      throw PluginError(.unauthenticated, "slurm.token_command \(argv[0]) could not be started: \(error)")
    }
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0, let token = clean(String(decoding: data, as: UTF8.self)) else {
      throw PluginError(
        .unauthenticated,
        "slurm.token_command \(argv.joined(separator: " ")) exited with \(process.terminationStatus) without a token")
    }
    return token
  }
}
