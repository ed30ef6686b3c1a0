import Foundation
import Host
import MCP
import PluginKit

/// How `run`'s arguments become a RunRequest, and its dry run.
extension ExecutionTools {
  /// `config_override` as the dotted keys `goldfish run --config` takes: nested objects are
  /// flattened (`{"train": {"epochs": 3}}` → `train.epochs`), leaves keep their JSON type.
  static func flattenOverrides(_ object: [String: Value]) throws(GoldfishError) -> [String: JSONValue] {
    var flat: [String: JSONValue] = [:]
    func walk(_ prefix: String, _ value: Value) throws(GoldfishError) {
      if case .object(let fields) = value, !fields.isEmpty {
        for (key, child) in fields { try walk(prefix.isEmpty ? key : prefix + "." + key, child) }
        return
      }
      let allowed = prefix.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { part in
        !part.isEmpty && part.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
      }
      guard allowed else {
        throw GoldfishError(
          .invalidArgument, "config_override key \(prefix.debugDescription) must be dotted names like train.epochs")
      }
      flat[prefix] = MCPValue.json(value)
    }
    for (key, value) in object { try walk(key, value) }
    return flat
  }

  /// A reason string, or upstream's structured reason folded into one line for the journal.
  static func runReason(_ value: Value?) throws(GoldfishError) -> String {
    switch value {
    case .string(let text)?: return text
    case .object(let fields)?:
      guard let description = fields["description"]?.stringValue else {
        throw GoldfishError(
          .invalidArgument, "a structured reason needs \"description\"", hint: "or pass reason as a string")
      }
      let extras = ["hypothesis", "approach", "min_result", "goal"].compactMap { key in
        fields[key]?.stringValue.map { "\(key): \($0)" }
      }
      return ([description] + extras).joined(separator: "; ")
    default:
      throw GoldfishError(
        .invalidArgument, "run needs a reason (at least 15 characters)", hint: "say what you expect to learn")
    }
  }

  /// The slot a run target (slot or mounted workspace) lives in.
  static func slot(of target: String, in project: Project) throws(GoldfishError) -> String {
    if project.settings.slots.contains(target) { return target }
    guard let slot = try project.workspaces.slots().first(where: { $0.workspace == target }) else {
      throw GoldfishError(.notFound, "\(target) is neither a slot nor a mounted workspace", hint: "mount it first")
    }
    return slot.slot
  }

  static func dryRun(
    _ project: Project, target: String, stages: [String], pipeline: String?, resultsSpec: JSONValue? = nil,
    configOverrides: [String: JSONValue] = [:]
  ) throws(GoldfishError) -> ToolOutput {
    let slot = try slot(of: target, in: project)
    try project.validateSlot(slot)
    let loaded = project.pipelineValidator(directory: project.paths.slot(slot)).validateAndLoad(pipeline: pipeline)
    var errors = loaded.issues.errors.map(\.json)
    let known = loaded.definition?.stages.map(\.name) ?? []
    for stage in stages where loaded.definition != nil && !known.contains(stage) {
      errors.append([
        "severity": .string("error"), "stage": .string(stage),
        "message": .string("no stage \(stage); stages: \(known.joined(separator: ", "))"),
      ])
    }
    if let resultsSpec {
      do throws(GoldfishError) {
        _ = try ResultsSpec(resultsSpec, minimumTextLength: project.settings.minReasonLength)
      } catch {
        errors.append([
          "severity": .string("error"), "field": .string("results_spec"),
          "message": .string(error.message + (error.hint.map { " (\($0))" } ?? "")),
        ])
      }
    }
    let toRun = stages.isEmpty ? known : stages
    // The preflight `run` does before launch: modules that compile, outputs the code names.
    var warnings = loaded.issues.warnings.map(\.json)
    if let definition = loaded.definition {
      let preflight = Preflight(
        workspaceDirectory: project.paths.slot(slot), compiledCache: project.paths.compiledModules)
        .check(definition, stages: toRun.filter(known.contains), issues: [])
      for (stage, findings) in preflight.sorted(by: { $0.key < $1.key }) {
        for finding in findings {
          let entry: JSONValue = [
            "severity": .string(finding.severity.rawValue), "stage": .string(stage), "check": .string(finding.check),
            "signal": finding.subject.map(JSONValue.string) ?? .null, "message": .string(finding.message),
          ]
          if finding.severity == .error { errors.append(entry) } else { warnings.append(entry) }
        }
      }
      // The check a real run makes before recording anything: a profile the backend cannot honour.
      for refusal in ProfileDemands.refusals(
        project: project, directory: project.paths.slot(slot), definition: definition,
        stages: toRun.filter(known.contains), configOverrides: configOverrides)
      {
        var entry: [String: JSONValue] = [
          "severity": "error", "code": .string(refusal.code.rawValue),
          "message": .string(refusal.message + (refusal.hint.map { " (\($0))" } ?? "")),
        ]
        entry["stage"] = refusal.detail["stage"]
        entry["lacking"] = refusal.detail["lacking"]
        errors.append(.object(entry))
      }
    }
    let valid = errors.isEmpty
    return ToolOutput(
      [
        "valid": .bool(valid), "stages_to_run": .array(toRun.map(Value.string)),
        "validation_errors": try MCPValue.encode(JSONValue.array(errors)),
        "warnings": try MCPValue.encode(JSONValue.array(warnings)),
      ],
      text: valid ? "Valid: would run \(toRun.joined(separator: ", "))" : "\(errors.count) problems")
  }
}
