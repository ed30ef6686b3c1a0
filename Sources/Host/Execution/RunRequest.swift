import Foundation
import PluginKit

/// What `run` asks for: stages of a mounted workspace's pipeline, with per-run config
/// overrides and the reason for the run.
public struct RunRequest: Sendable {
  /// A slot (w1) or the name of a mounted workspace.
  public var target: String
  /// Stages to run; empty means the whole pipeline.
  public var stages: [String]
  /// A named pipeline (pipelines/<name>.yaml); nil means pipeline.yaml.
  public var pipeline: String?
  /// Dotted keys set in every selected stage's config, e.g. `compute.profile` → "cpu-large".
  public var configOverrides: [String: JSONValue]
  public var reason: String
  /// Run stages again even when nothing they depend on changed.
  public var rerun: Bool
  /// What the run is expected to show (upstream's `results_spec`, §9.2), stored with every
  /// stage run of it.
  public var resultsSpec: ResultsSpec?
  /// Groups runs for list_history's filter.
  public var experimentGroup: String?
  /// `{stage: {input: reference}}` (or `{input: reference}` when one stage runs): where inputs
  /// come from instead of the pipeline's wiring. Checked by `InputOverrides.validate`.
  public var inputsOverride: JSONValue?
  /// Hold this run to the experiment discipline (a results spec, no unfinalized runs) as far as
  /// `audit:` asks: MCP `run` always; `goldfish run` when `audit.enforce_on_cli` is set.
  public var enforceDiscipline: Bool
  /// Skip the optional pre-run reviewer command (the skip is recorded); preflight always runs.
  public var skipReview: Bool

  public init(
    target: String, stages: [String] = [], pipeline: String? = nil, configOverrides: [String: JSONValue] = [:],
    reason: String, rerun: Bool = false, resultsSpec: ResultsSpec? = nil, experimentGroup: String? = nil,
    inputsOverride: JSONValue? = nil, enforceDiscipline: Bool = false, skipReview: Bool = false
  ) {
    self.skipReview = skipReview
    self.target = target
    self.stages = stages
    self.pipeline = pipeline
    self.configOverrides = configOverrides
    self.reason = reason
    self.rerun = rerun
    self.resultsSpec = resultsSpec
    self.experimentGroup = experimentGroup
    self.inputsOverride = inputsOverride
    self.enforceDiscipline = enforceDiscipline
  }

  /// Parses `KEY=VALUE` (VALUE as a YAML scalar: numbers, booleans, strings).
  public static func parseOverride(_ text: String) throws(GoldfishError) -> (String, JSONValue) {
    guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
      throw GoldfishError(
        .invalidArgument, "--config \(text) is not KEY=VALUE", hint: "e.g. --config compute.profile=cpu-large")
    }
    let key = String(text[..<equals])
    let raw = String(text[text.index(after: equals)...])
    let allowed = key.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { part in
      !part.isEmpty && part.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
    }
    guard allowed else {
      throw GoldfishError(
        .invalidArgument, "--config key \(key.debugDescription) must be dotted names like compute.profile")
    }
    let value: JSONValue
    if let integer = Int64(raw) {
      value = .int(integer)
    } else if let number = Double(raw), raw.contains(".") {
      value = .double(number)
    } else if raw == "true" || raw == "false" {
      value = .bool(raw == "true")
    } else {
      value = .string(raw)
    }
    return (key, value)
  }

  /// A JSON argument given inline or as `@FILE`.
  public static func parseJSONArgument(_ text: String, option: String) throws(GoldfishError) -> JSONValue {
    var json = text
    if text.hasPrefix("@") {
      let path = String(text.dropFirst())
      guard let contents = try? String(contentsOfFile: path, encoding: .utf8) else {
        throw GoldfishError(
          .invalidArgument, "\(option): cannot read \(ValueQuote.short(path))", hint: "give JSON or @FILE")
      }
      json = contents
    }
    do {
      return try JSONCoding.parse(json)
    } catch {
      throw GoldfishError(
        .invalidArgument, "\(option) is not JSON: \(ValueQuote.short(json))", hint: "give a JSON object, or @FILE")
    }
  }

  /// `--input STAGE.INPUT=REF` (repeatable) as the nested `inputs_override`; `stage-…:SIGNAL`
  /// names an output of a run.
  public static func parseInputOverrides(_ items: [String]) throws(GoldfishError) -> JSONValue {
    var nested: [String: [String: JSONValue]] = [:]
    for item in items {
      guard let equals = item.firstIndex(of: "="), let dot = item[..<equals].firstIndex(of: ".") else {
        throw GoldfishError(
          .invalidArgument, "--input \(ValueQuote.short(item)) is not STAGE.INPUT=REF",
          hint: "e.g. --input train.features=stage-1a2b3c4d")
      }
      let stage = String(item[..<dot])
      let input = String(item[item.index(after: dot)..<equals])
      let reference = String(item[item.index(after: equals)...])
      var value = JSONValue.string(reference)
      if reference.hasPrefix("stage-"), let colon = reference.firstIndex(of: ":") {
        value = [
          "from_run": .string(String(reference[..<colon])),
          "signal": .string(String(reference[reference.index(after: colon)...])),
        ]
      }
      nested[stage, default: [:]][input] = value
    }
    return .object(nested.mapValues { .object($0) })
  }

  /// The overrides of one stage as a nested mapping, the shape stage configs merge. A key
  /// whose first part names a stage (`train.epochs`) applies to that stage only; any other key
  /// applies to every stage of the run.
  func overrides(for stage: String, stages: Set<String>) -> JSONValue {
    var root: [String: JSONValue] = [:]
    for (key, value) in configOverrides.sorted(by: { $0.key < $1.key }) {
      var path = key.split(separator: ".").map(String.init)
      if let first = path.first, stages.contains(first) {
        guard first == stage, path.count > 1 else { continue }
        path.removeFirst()
      }
      Self.insert(value, at: path, into: &root)
    }
    return .object(root)
  }

  private static func insert(_ value: JSONValue, at path: [String], into mapping: inout [String: JSONValue]) {
    guard let head = path.first else { return }
    if path.count == 1 {
      mapping[head] = value
      return
    }
    var child = mapping[head]?.objectValue ?? [:]
    insert(value, at: Array(path.dropFirst()), into: &child)
    mapping[head] = .object(child)
  }
}
