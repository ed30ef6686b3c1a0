import PluginKit

/// The two result payloads of upstream's §9.2, validated field by field; unknown keys are
/// refused with the allowed ones listed, so a typo never silently drops a field.
public struct ResultsSpec: Sendable, Equatable {
  public enum Direction: String, Sendable, CaseIterable { case maximize, minimize }
  public enum DatasetSplit: String, Sendable, CaseIterable { case train, val, test, other }

  public var primaryMetric: String
  public var direction: Direction
  public var minValue: Double
  public var goalValue: Double
  public var datasetSplit: DatasetSplit
  public var tolerance: Double
  public var context: String
  public var secondaryMetrics: [String]
  public var baselineRun: String?
  public var failureThreshold: Double?
  public var knownCaveats: [String]
  /// The payload as given (validated), for storage.
  public var json: JSONValue

  static let required = [
    "primary_metric", "direction", "min_value", "goal_value", "dataset_split", "tolerance", "context",
  ]
  static let optional = ["secondary_metrics", "baseline_run", "failure_threshold", "known_caveats"]

  public init(_ value: JSONValue, minimumTextLength: Int = 15) throws(GoldfishError) {
    let fields = try PayloadFields(value, name: "results_spec", required: Self.required, optional: Self.optional)
    primaryMetric = try fields.text("primary_metric")
    direction = try fields.choice("direction", Direction.self)
    minValue = try fields.number("min_value")
    goalValue = try fields.number("goal_value")
    datasetSplit = try fields.choice("dataset_split", DatasetSplit.self)
    tolerance = try fields.number("tolerance", minimum: 0)
    context = try fields.text("context", minimumLength: minimumTextLength)
    secondaryMetrics = try fields.texts("secondary_metrics")
    baselineRun = try fields.optionalText("baseline_run")
    failureThreshold = try fields.optionalNumber("failure_threshold")
    knownCaveats = try fields.texts("known_caveats")
    json = value
  }
}

/// What `finalize_run` records as a run's authoritative result.
public struct FinalResults: Sendable, Equatable {
  public var primaryMetric: String
  public var direction: ResultsSpec.Direction
  public var value: Double
  public var datasetSplit: ResultsSpec.DatasetSplit
  public var mlOutcome: MLOutcome
  public var notes: String
  public var unit: String?
  public var step: Int?
  public var epoch: Int?
  public var secondary: [String: JSONValue]
  public var infraOutcome: InfraOutcome?
  public var json: JSONValue

  static let required = ["primary_metric", "direction", "value", "dataset_split", "ml_outcome", "notes"]
  static let optional = ["unit", "step", "epoch", "secondary", "termination"]

  public init(_ value: JSONValue, minimumTextLength: Int = 15) throws(GoldfishError) {
    let fields = try PayloadFields(value, name: "results", required: Self.required, optional: Self.optional)
    primaryMetric = try fields.text("primary_metric")
    direction = try fields.choice("direction", ResultsSpec.Direction.self)
    self.value = try fields.number("value")
    datasetSplit = try fields.choice("dataset_split", ResultsSpec.DatasetSplit.self)
    mlOutcome = try fields.choice("ml_outcome", MLOutcome.self)
    notes = try fields.text("notes", minimumLength: minimumTextLength)
    unit = try fields.optionalText("unit")
    step = try fields.optionalCount("step")
    epoch = try fields.optionalCount("epoch")
    secondary = try fields.optionalObject("secondary") ?? [:]
    if let termination = try fields.optionalObject("termination") {
      let inner = try PayloadFields(
        .object(termination), name: "results.termination", required: [], optional: ["infra_outcome"])
      infraOutcome = try inner.has("infra_outcome") ? inner.choice("infra_outcome", InfraOutcome.self) : nil
    } else {
      infraOutcome = nil
    }
    json = value
  }
}

/// Field access with errors that name the payload, the field, what was wrong and what fits.
struct PayloadFields {
  let name: String
  let fields: [String: JSONValue]

  init(_ value: JSONValue, name: String, required: [String], optional: [String]) throws(GoldfishError) {
    guard let fields = value.objectValue else {
      throw GoldfishError(
        .invalidArgument, "\(name) must be an object", hint: "give an object with \(required.joined(separator: ", "))")
    }
    let allowed = required + optional
    let unknown = fields.keys.filter { !allowed.contains($0) }.sorted()
    if !unknown.isEmpty {
      throw GoldfishError(
        .invalidArgument, "\(name) has unknown key\(unknown.count == 1 ? "" : "s") \(unknown.joined(separator: ", "))",
        hint: "allowed keys: \(allowed.joined(separator: ", "))",
        detail: ["unknown": .array(unknown.map(JSONValue.string)), "allowed": .array(allowed.map(JSONValue.string))])
    }
    let missing = required.filter { fields[$0] == nil || fields[$0] == .null }
    if !missing.isEmpty {
      throw GoldfishError(
        .invalidArgument, "\(name) is missing \(missing.joined(separator: ", "))",
        hint: "required keys: \(required.joined(separator: ", "))",
        detail: ["missing": .array(missing.map(JSONValue.string))])
    }
    self.name = name
    self.fields = fields
  }

  func has(_ key: String) -> Bool { fields[key].map { $0 != .null } ?? false }

  private func wrong(_ key: String, _ expected: String) -> GoldfishError {
    GoldfishError(
      .invalidArgument, "\(name).\(key) must be \(expected)", detail: ["field": .string("\(name).\(key)")])
  }

  func text(_ key: String, minimumLength: Int = 1) throws(GoldfishError) -> String {
    guard let text = fields[key]?.stringValue, !text.trimmingCharacters(in: .whitespaces).isEmpty else {
      throw wrong(key, "a non-empty string")
    }
    guard text.count >= minimumLength else {
      throw wrong(key, "at least \(minimumLength) characters (got \(text.count)): say what the number means")
    }
    return text
  }

  func optionalText(_ key: String) throws(GoldfishError) -> String? {
    guard has(key) else { return nil }
    guard let text = fields[key]?.stringValue else { throw wrong(key, "a string or null") }
    return text
  }

  func texts(_ key: String) throws(GoldfishError) -> [String] {
    guard has(key) else { return [] }
    guard let items = fields[key]?.arrayValue else { throw wrong(key, "a list of strings") }
    var texts: [String] = []
    for item in items {
      guard let text = item.stringValue else { throw wrong(key, "a list of strings") }
      texts.append(text)
    }
    return texts
  }

  func number(_ key: String, minimum: Double? = nil) throws(GoldfishError) -> Double {
    let number: Double? =
      switch fields[key] {
      case .int(let value): Double(value)
      case .double(let value) where value.isFinite: value
      default: nil
      }
    guard let number else { throw wrong(key, "a number") }
    if let minimum, number < minimum { throw wrong(key, "a number ≥ \(minimum.formatted())") }
    return number
  }

  func optionalNumber(_ key: String) throws(GoldfishError) -> Double? {
    has(key) ? try number(key) : nil
  }

  func optionalCount(_ key: String) throws(GoldfishError) -> Int? {
    guard has(key) else { return nil }
    guard case .int(let value) = fields[key], value >= 0 else { throw wrong(key, "an integer ≥ 0") }
    return Int(value)
  }

  func optionalObject(_ key: String) throws(GoldfishError) -> [String: JSONValue]? {
    guard has(key) else { return nil }
    guard let object = fields[key]?.objectValue else { throw wrong(key, "an object") }
    return object
  }

  func choice<T: RawRepresentable & CaseIterable>(_ key: String, _ type: T.Type) throws(GoldfishError) -> T
  where T.RawValue == String {
    let choices = T.allCases.map(\.rawValue)
    guard let text = fields[key]?.stringValue, let value = T(rawValue: text) else {
      throw wrong(key, "one of \(choices.joined(separator: ", "))")
    }
    return value
  }
}
