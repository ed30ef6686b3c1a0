import Foundation
import PluginKit

extension GoldfishError.Code {
  /// The deterministic checks before launch found errors: nothing was saved or started.
  public static let preflightFailed = Self("preflight_failed")
}

/// The checks every `run` passes before anything is saved or launched, with no AI: the pipeline
/// validator's own problems (module present, config against `config_schema:`, inputs that
/// resolve), each Python module compiling with the workspace's code as it is now, and each
/// declared output visibly written by the module (a warning only: a name built at run time is
/// not visible to a text search).
public struct Preflight: Sendable {
  public let workspaceDirectory: String
  /// The interpreter that compiles modules; the one stages run with.
  public var python = "python3"
  /// Where modules known to compile are noted (`CompiledModules`); nil compiles every time.
  public var compiledCache: String?

  public init(workspaceDirectory: String, compiledCache: String? = nil) {
    self.workspaceDirectory = workspaceDirectory
    self.compiledCache = compiledCache
  }

  /// Findings per selected stage, errors and warnings together; validator issues that concern no
  /// stage are reported under the empty name.
  public func check(
    _ definition: PipelineDefinition, stages: [String], issues: [PipelineIssue]
  ) -> [String: [SVSFinding]] {
    var findings: [String: [SVSFinding]] = [:]
    for issue in issues {
      let stage = issue.stage ?? ""
      guard stage.isEmpty || stages.contains(stage) else { continue }
      findings[stage, default: []].append(
        SVSFinding(
          check: "pipeline", severity: issue.severity == .error ? .error : .warning,
          message: issue.description,
          subject: issue.signal))
    }
    for name in stages {
      guard let stage = definition.stage(named: name) else { continue }
      findings[name, default: []] += checkModule(of: stage)
    }
    return findings
  }

  /// Every error as one `preflight_failed` error naming each problem; nil when none.
  public static func failure(_ findings: [String: [SVSFinding]]) -> GoldfishError? {
    let errors = findings.sorted { $0.key < $1.key }.flatMap { stage, list in
      list.filter { $0.severity == .error }.map { (stage, $0) }
    }
    guard !errors.isEmpty else { return nil }
    let lines = errors.map { stage, finding in (stage.isEmpty ? "" : "stage \(stage): ") + finding.message }
    return GoldfishError(
      .preflightFailed,
      "preflight found \(errors.count) problem\(errors.count == 1 ? "" : "s"); nothing was saved or started: "
        + lines.joined(separator: "; "),
      hint: "fix them and run again; run with dry_run: true to see them without starting anything",
      detail: [
        "findings": .array(
          errors.map { stage, finding in
            var value = (try? JSONCoding.value(of: finding)) ?? .null
            if case .object(var fields) = value { fields["stage"] = .string(stage); value = .object(fields) }
            return value
          })
      ])
  }

  private func checkModule(of stage: StageDefinition) -> [SVSFinding] {
    guard stage.runtime == .python else { return [] }
    let module = "modules/\(stage.name).py"
    guard let path = try? PathConfinement.resolve(module, under: workspaceDirectory),
      let source = try? String(contentsOfFile: path, encoding: .utf8)
    else { return [] }  // A missing module is already the validator's error.
    var findings: [SVSFinding] = []
    if let problem = compileProblem(path, source: Data(source.utf8), shown: module) {
      findings.append(SVSFinding(check: "compile", severity: .error, message: problem, subject: module))
    }
    for output in stage.outputs where !Self.mentions(source, output.name) {
      findings.append(
        SVSFinding(
          check: "output_not_visible", severity: .warning,
          message:
            "\(module) never names its output \"\(output.name)\" as a string literal; if it builds the name at run time this is fine, otherwise the run will fail recording outputs",
          subject: output.name))
    }
    return findings
  }

  /// Compiles without writing a .pyc into the workspace; nil when it compiles.
  private func compileProblem(_ path: String, source: Data, shown: String) -> String? {
    let known = compiledCache.map(CompiledModules.init(folder:))
    let key = known.flatMap { $0.key(python: python, shown: shown, source: source) }
    if let known, let key, known.compiled(key) { return nil }
    let problem = compile(path, shown: shown)
    if problem == nil, let known, let key { known.remember(key) }
    return problem
  }

  private func compile(_ path: String, shown: String) -> String? {
    let script = "import sys\nsource = open(sys.argv[1], 'rb').read()\ncompile(source, sys.argv[2], 'exec')\n"
    guard let outcome = try? ReviewerProcess.run([python, "-B", "-c", script, path, shown], timeout: 60) else {
      return nil  // No interpreter here: the stage's own run reports that better than a guess.
    }
    if outcome.timedOut { return "compiling \(shown) took more than 60 s" }
    guard outcome.exitCode != 0 else { return nil }
    let lines = outcome.stderr.split(separator: "\n").map(String.init)
    // The traceback's last lines name the file, the line and the syntax error.
    let tail = lines.drop { !$0.contains("File \"\(shown)\"") }
    return "\(shown) does not compile: "
      + (tail.isEmpty ? lines.suffix(3) : tail.suffix(4)).joined(separator: " ")
      .replacingOccurrences(of: "  ", with: " ")
  }

  static func mentions(_ source: String, _ name: String) -> Bool {
    source.contains("\"\(name)\"") || source.contains("'\(name)'")
  }
}
