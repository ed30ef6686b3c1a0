import Foundation
import PluginKit

/// Where one input of a stage comes from in a run that overrides the pipeline's wiring
/// (upstream's `inputs_override`).
public enum InputOverride: Sendable, Equatable {
  /// An output of an earlier run that succeeded.
  case run(id: String, signal: String)
  /// A registered source.
  case source(String)
  /// A local path or a storage URI, read as it is.
  case location(String)

  var json: JSONValue {
    switch self {
    case .run(let id, let signal): ["from_run": .string(id), "signal": .string(signal)]
    case .source(let name): ["source": .string(name)]
    case .location(let uri): ["path": .string(uri)]
    }
  }

  /// The stored form back (what `InputOverrides.validate` wrote).
  init?(stored value: JSONValue) {
    guard let fields = value.objectValue else { return nil }
    if let id = fields["from_run"]?.stringValue, let signal = fields["signal"]?.stringValue {
      self = .run(id: id, signal: signal)
    } else if let name = fields["source"]?.stringValue {
      self = .source(name)
    } else if let uri = fields["path"]?.stringValue {
      self = .location(uri)
    } else {
      return nil
    }
  }
}

extension GoldfishError.Code {
  public static let inputOverrideInvalid = Self("input_override_invalid")
}

/// Reads `inputs_override` (`{stage: {input: ref}}`, or `{input: ref}` when one stage runs) and
/// checks every reference before anything is saved or launched: the stage runs, the input exists,
/// the run exists and succeeded, the signal is among its outputs, the source is registered, the
/// path exists.
public enum InputOverrides {
  static let example = "{\"train\": {\"features\": \"stage-1a2b3c4d\"}}"

  public static func validate(
    _ value: JSONValue, selected: [String], definition: PipelineDefinition, store: ProjectStore
  ) throws(GoldfishError) -> [String: [String: InputOverride]] {
    if value == .null { return [:] }
    guard let top = value.objectValue else {
      throw invalid("inputs_override must be an object of stage → input → reference, e.g. \(example)")
    }
    if top.isEmpty { return [:] }
    let nested = try nest(top, selected: selected, definition: definition)
    var result: [String: [String: InputOverride]] = [:]
    for (stageName, inputs) in nested.sorted(by: { $0.key < $1.key }) {
      guard let stage = definition.stage(named: stageName) else {
        throw invalid(
          "inputs_override names stage \(ValueQuote.short(stageName)), which pipeline \(definition.name) does not have",
          hint: "its stages: \(definition.stages.map(\.name).joined(separator: ", "))")
      }
      guard selected.contains(stageName) else {
        throw invalid(
          "inputs_override names stage \(stageName), which this run does not run",
          hint:
            "this run's stages: \(selected.joined(separator: ", ")); add \(stageName) to stages or drop its override")
      }
      var resolved: [String: InputOverride] = [:]
      for (inputName, given) in inputs.sorted(by: { $0.key < $1.key }) {
        guard stage.inputs.contains(where: { $0.name == inputName }) else {
          let names = stage.inputs.map(\.name)
          throw invalid(
            "inputs_override names input \(ValueQuote.short(inputName)) of stage \(stageName), which has no such input",
            hint: names.isEmpty ? "\(stageName) has no inputs" : "its inputs: \(names.joined(separator: ", "))")
        }
        resolved[inputName] = try reference(
          given, for: "\(stageName).\(inputName)", input: inputName, store: store)
      }
      result[stageName] = resolved
    }
    return result
  }

  /// The stored JSON of validated overrides.
  public static func encode(_ overrides: [String: [String: InputOverride]]) -> JSONValue {
    .object(overrides.mapValues { inputs in .object(inputs.mapValues(\.json)) })
  }

  /// What a pipeline run stored, for the input resolver.
  static func stored(_ text: String?) -> [String: [String: InputOverride]] {
    guard let text, let value = try? JSONCoding.parse(text), let top = value.objectValue else { return [:] }
    return top.mapValues { inputs in (inputs.objectValue ?? [:]).compactMapValues(InputOverride.init(stored:)) }
  }

  /// `{input: ref}` becomes `{stage: {input: ref}}` when exactly one stage runs; several stages
  /// need the nested form, which is said rather than guessed.
  private static func nest(
    _ top: [String: JSONValue], selected: [String], definition: PipelineDefinition
  ) throws(GoldfishError) -> [String: [String: JSONValue]] {
    // A reference is a string or {from_run|run_id, signal}; a stage's entry is an object of them.
    let flat = top.values.allSatisfy { $0.stringValue != nil || $0.objectValue.map(isReference) == true }
    guard flat else {
      var nested: [String: [String: JSONValue]] = [:]
      for (stage, inputs) in top {
        guard let inputs = inputs.objectValue else {
          throw invalid(
            "inputs_override mixes the flat and the nested form (\(ValueQuote.short(stage)) is not an object of inputs)",
            hint: "nest every entry by stage, e.g. \(example)")
        }
        nested[stage] = inputs
      }
      return nested
    }
    guard selected.count == 1, let only = selected.first else {
      throw invalid(
        "inputs_override key \(top.keys.sorted().map(ValueQuote.short).joined(separator: ", ")) is not nested by stage, "
          + "and this run runs \(selected.count) stages (\(selected.joined(separator: ", ")))",
        hint: "nest it by stage, e.g. \(example); a flat {input: ref} is only read as such when one stage runs")
    }
    return [only: top]
  }

  private static func isReference(_ fields: [String: JSONValue]) -> Bool {
    fields["from_run"] != nil || fields["run_id"] != nil || fields["signal"] != nil
  }

  private static func reference(
    _ value: JSONValue, for place: String, input: String, store: ProjectStore
  ) throws(GoldfishError) -> InputOverride {
    if let fields = value.objectValue {
      let allowed = ["from_run", "run_id", "signal"]
      let unknown = fields.keys.filter { !allowed.contains($0) }.sorted()
      guard unknown.isEmpty, let id = (fields["from_run"] ?? fields["run_id"])?.stringValue else {
        throw invalid(
          "inputs_override \(place) must be a run id, a source name, a path, or {from_run, signal}"
            + (unknown.isEmpty ? "" : "; unknown keys: \(unknown.joined(separator: ", "))"),
          hint: "e.g. {\"from_run\": \"stage-1a2b3c4d\", \"signal\": \"features\"}")
      }
      return try runOutput(id, signal: fields["signal"]?.stringValue, for: place, input: input, store: store)
    }
    guard let text = value.stringValue, !text.isEmpty else {
      throw invalid(
        "inputs_override \(place) must be a run id, a source name, a path, or {from_run, signal}",
        hint: "e.g. \"stage-1a2b3c4d\", \"my_dataset\", \"/data/points.csv\" or \"gs://bucket/points.csv\"")
    }
    if text.hasPrefix("stage-") {
      return try runOutput(text, signal: nil, for: place, input: input, store: store)
    }
    if try store.source(text) != nil { return .source(text) }
    return try location(text, for: place)
  }

  private static func runOutput(
    _ id: String, signal: String?, for place: String, input: String, store: ProjectStore
  ) throws(GoldfishError) -> InputOverride {
    guard let run = try store.stageRun(id) else {
      throw invalid(
        "inputs_override \(place): no run \(RunIdentifiers.display(id))", hint: "list_runs shows recent runs")
    }
    guard [.completed, .awaitingUserFinalization].contains(run.state) else {
      throw invalid(
        "inputs_override \(place): run \(id) (stage \(run.stage)) \(run.state.rawValue), so it has no outputs to read",
        hint: "use a run that succeeded")
    }
    var outputs = try store.signals(of: id).filter { $0.direction == "output" && $0.uri != nil }
    if outputs.isEmpty, let origin = run.reusedFrom {
      outputs = try store.signals(of: origin).filter { $0.direction == "output" && $0.uri != nil }
    }
    let names = outputs.map(\.signal).sorted()
    let chosen: String
    if let signal {
      chosen = signal
    } else if names.contains(input) {
      chosen = input
    } else if case let declared = names.filter({ !$0.hasPrefix(OutputRecorder.artifactSignalPrefix) }),
      declared.count == 1, let only = declared.first
    {
      // Files named with log_artifact (artifact:<name>) never make the one declared output ambiguous.
      chosen = only
    } else {
      throw invalid(
        "inputs_override \(place): run \(id) has no output named \(input) and "
          + (names.isEmpty ? "no outputs" : "several (\(names.joined(separator: ", ")))"),
        hint: "say which: {\"from_run\": \"\(id)\", \"signal\": \"\(names.first ?? "NAME")\"}")
    }
    guard names.contains(chosen) else {
      throw invalid(
        "inputs_override \(place): run \(id) (stage \(run.stage)) has no output \(ValueQuote.short(chosen))",
        hint: names.isEmpty ? "it recorded no outputs" : "its outputs: \(names.joined(separator: ", "))")
    }
    return .run(id: id, signal: chosen)
  }

  /// A path must exist now; a URI (scheme://…) is checked when the stage reads it.
  private static func location(_ text: String, for place: String) throws(GoldfishError) -> InputOverride {
    if text.contains("://") && !text.hasPrefix("file://") { return .location(text) }
    let path = text.hasPrefix("file://") ? String(text.dropFirst("file://".count)) : text
    guard path.hasPrefix("/") else {
      throw invalid(
        "inputs_override \(place): \(ValueQuote.short(text).debugDescription) is not a run id (stage-…), a registered source, "
          + "an absolute path or a URI",
        hint: "register it with register_source, or give an absolute path or a URI such as gs://bucket/data.csv")
    }
    guard FileManager.default.fileExists(atPath: path) else {
      throw invalid(
        "inputs_override \(place): \(ValueQuote.short(path)) does not exist", hint: "give a path that exists")
    }
    return .location("file://" + path)
  }

  private static func invalid(_ message: String, hint: String? = nil) -> GoldfishError {
    GoldfishError(.inputOverrideInvalid, message, hint: hint)
  }
}
