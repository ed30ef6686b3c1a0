import PluginKit

/// One mapping of goldfish.yaml, read key by key. Every getter checks type and bounds, records
/// a problem (never throws) and falls back to the default, so one pass finds every mistake.
/// A key written as `null` (or left empty) reads as absent: it never turns into 0 or "".
struct ConfigSection {
  /// Where this mapping is in the file ("" is the top level). Errors name keys below it.
  let path: String
  let fields: [String: JSONValue]
  let problems: ConfigProblems

  var document: ConfigDocument { problems.document }

  /// The mapping at `value`, or nil when it is absent or null. A non-mapping and every key not
  /// in `keys` are recorded as problems.
  static func read(
    _ value: JSONValue?, at path: String, keys: [String], problems: ConfigProblems
  ) -> ConfigSection? {
    guard let value, !value.isNull else { return nil }
    guard let fields = value.objectValue else {
      problems.add(
        ConfigError.wrongType(
          problems.document, path, expected: "a mapping with keys \(keys.joined(separator: ", "))", found: value))
      return nil
    }
    let section = ConfigSection(path: path, fields: fields, problems: problems)
    for key in fields.keys.sorted() where !keys.contains(key) {
      problems.add(ConfigError.unknownKey(problems.document, section.key(key), allowed: keys))
    }
    return section
  }

  func key(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }

  /// The value under `name`, nil when absent or null.
  func value(_ name: String) -> JSONValue? {
    guard let value = fields[name], !value.isNull else { return nil }
    return value
  }

  func has(_ name: String) -> Bool { value(name) != nil }

  func section(_ name: String, keys: [String]) -> ConfigSection? {
    Self.read(fields[name], at: key(name), keys: keys, problems: problems)
  }

  private func wrongType(_ name: String, _ expected: String, _ found: JSONValue) {
    problems.add(ConfigError.wrongType(document, key(name), expected: expected, found: found))
  }

  // MARK: numbers

  func optionalInt(_ name: String, _ bound: ConfigBound<Int> = .any) -> Int? {
    guard let value = value(name) else { return nil }
    guard let number = value.intValue else {
      wrongType(name, "a whole number " + bound.text, value)
      return nil
    }
    guard bound.contains(Int(number)) else {
      problems.add(ConfigError.outOfRange(document, key(name), value: "\(number)", allowed: bound.text))
      return nil
    }
    return Int(number)
  }

  func int(_ name: String, default fallback: Int, _ bound: ConfigBound<Int> = .any) -> Int {
    optionalInt(name, bound) ?? fallback
  }

  func optionalNumber(_ name: String, _ bound: ConfigBound<Double> = .any) -> Double? {
    guard let value = value(name) else { return nil }
    let number: Double
    switch value {
    case .int(let whole): number = Double(whole)
    case .double(let fraction): number = fraction
    default:
      wrongType(name, "a number " + bound.text, value)
      return nil
    }
    guard number.isFinite, bound.contains(number) else {
      problems.add(ConfigError.outOfRange(document, key(name), value: "\(number)", allowed: bound.text))
      return nil
    }
    return number
  }

  func number(_ name: String, default fallback: Double, _ bound: ConfigBound<Double> = .any) -> Double {
    optionalNumber(name, bound) ?? fallback
  }

  // MARK: words

  func optionalString(_ name: String) -> String? {
    guard let value = value(name) else { return nil }
    guard let text = value.stringValue else {
      wrongType(name, "a string (quote values that look like numbers)", value)
      return nil
    }
    guard !text.isEmpty else {
      problems.add(ConfigError.invalid(document, key(name), "is empty; leave the key out to use the default"))
      return nil
    }
    return text
  }

  func string(_ name: String, default fallback: String) -> String {
    optionalString(name) ?? fallback
  }

  func bool(_ name: String, default fallback: Bool) -> Bool {
    guard let value = value(name) else { return fallback }
    guard let flag = value.boolValue else {
      wrongType(name, "true or false", value)
      return fallback
    }
    return flag
  }

  func optionalChoice(_ name: String, from allowed: [String]) -> String? {
    guard let text = optionalString(name) else { return nil }
    guard allowed.contains(text) else {
      problems.add(ConfigError.notOneOf(document, key(name), value: text, allowed: allowed))
      return nil
    }
    return text
  }

  func choice(_ name: String, from allowed: [String], default fallback: String) -> String {
    optionalChoice(name, from: allowed) ?? fallback
  }

  // MARK: collections

  /// A list of non-empty strings; nil when absent. A single string is not taken as a list of one:
  /// `zones: us-central1-a` is refused so that a list and a word are never confused.
  func optionalStrings(_ name: String) -> [String]? {
    guard let value = value(name) else { return nil }
    guard let items = value.arrayValue else {
      wrongType(name, "a list of strings", value)
      return nil
    }
    var strings: [String] = []
    for (index, item) in items.enumerated() {
      guard let text = item.stringValue, !text.isEmpty else {
        problems.add(
          ConfigError.wrongType(document, "\(key(name))[\(index)]", expected: "a non-empty string", found: item))
        continue
      }
      strings.append(text)
    }
    return strings
  }

  func strings(_ name: String, default fallback: [String] = []) -> [String] {
    optionalStrings(name) ?? fallback
  }

  /// Each item must be one of `allowed`.
  func choices(_ name: String, from allowed: [String], default fallback: [String]) -> [String] {
    guard let items = optionalStrings(name) else { return fallback }
    for (index, item) in items.enumerated() where !allowed.contains(item) {
      problems.add(ConfigError.notOneOf(document, "\(key(name))[\(index)]", value: item, allowed: allowed))
    }
    return items.filter(allowed.contains)
  }

  /// A mapping from free-form names to strings.
  func stringMap(_ name: String) -> [String: String]? {
    guard let value = value(name) else { return nil }
    guard let fields = value.objectValue else {
      wrongType(name, "a mapping of names to strings", value)
      return nil
    }
    var map: [String: String] = [:]
    for (entry, item) in fields {
      guard let text = item.stringValue else {
        problems.add(ConfigError.wrongType(document, "\(key(name)).\(entry)", expected: "a string", found: item))
        continue
      }
      map[entry] = text
    }
    return map
  }

  /// A mapping from free-form names to true/false.
  func boolMap(_ name: String) -> [String: Bool]? {
    guard let value = value(name) else { return nil }
    guard let fields = value.objectValue else {
      wrongType(name, "a mapping of names to true or false", value)
      return nil
    }
    var map: [String: Bool] = [:]
    for (entry, item) in fields {
      guard let flag = item.boolValue else {
        problems.add(ConfigError.wrongType(document, "\(key(name)).\(entry)", expected: "true or false", found: item))
        continue
      }
      map[entry] = flag
    }
    return map
  }
}

/// Building the effective config: optional values become explicit nulls so `config show` lists
/// every key a section has, set or not.
extension JSONValue {
  static func optional(_ text: String?) -> JSONValue { text.map { .string($0) } ?? .null }
  static func optional(_ number: Int?) -> JSONValue { number.map { .int(Int64($0)) } ?? .null }
  static func optional(_ number: Double?) -> JSONValue { number.map { .double($0) } ?? .null }
  static func optional(_ flag: Bool?) -> JSONValue { flag.map { .bool($0) } ?? .null }
  static func optional(_ strings: [String]?) -> JSONValue { strings.map(list) ?? .null }
  static func optional(_ map: [String: String]?) -> JSONValue {
    map.map { .object($0.mapValues { .string($0) }) } ?? .null
  }
  static func optional(_ map: [String: Bool]?) -> JSONValue { map.map { .object($0.mapValues { .bool($0) }) } ?? .null }
  static func number(_ value: Int) -> JSONValue { .int(Int64(value)) }
  static func list(_ strings: [String]) -> JSONValue { .array(strings.map { .string($0) }) }
}

extension ConfigSection {
  /// A path inside the project: relative, and never climbing out with "..", because every path
  /// Goldfish writes to must stay under the project root.
  func relativePath(_ name: String, default fallback: String) -> String {
    guard let text = optionalString(name) else { return fallback }
    if text.hasPrefix("/") || text.hasPrefix("~") {
      problems.add(
        ConfigError.invalid(
          document, key(name), "\"\(text)\" is not a relative path",
          hint: "paths in goldfish.yaml are relative to the project folder, e.g. \"\(fallback)\""))
      return fallback
    }
    if text.split(separator: "/").contains("..") {
      problems.add(
        ConfigError.invalid(
          document, key(name), "\"\(text)\" leaves the project folder",
          hint: "paths in goldfish.yaml stay inside the project folder; remove the \"..\""))
      return fallback
    }
    return text
  }
}

extension ConfigSection {
  /// A word from a closed set, read straight into its Swift enum.
  func choice<Choice: RawRepresentable & CaseIterable>(_ name: String, default fallback: Choice) -> Choice
  where Choice.RawValue == String {
    optionalChoice(name, from: Choice.allCases.map(\.rawValue)).flatMap(Choice.init(rawValue:)) ?? fallback
  }

  func optionalChoice<Choice: RawRepresentable & CaseIterable>(_ name: String, as type: Choice.Type) -> Choice?
  where Choice.RawValue == String {
    optionalChoice(name, from: Choice.allCases.map(\.rawValue)).flatMap(Choice.init(rawValue:))
  }

  /// Upstream spells some keys two ways (`project_id`/`project`): either is accepted, both is an
  /// error because the two could disagree. Returns the key that was used, if any.
  func alias(_ primary: String, _ secondary: String) -> String? {
    switch (has(primary), has(secondary)) {
    case (true, true):
      problems.add(
        ConfigError.invalid(
          document, key(secondary), "\(key(primary)) and \(key(secondary)) are two names for one setting",
          hint: "keep only \(primary)"))
      return primary
    case (true, false): return primary
    case (false, true): return secondary
    case (false, false): return nil
    }
  }
}
