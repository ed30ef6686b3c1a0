import PluginKit

/// Builders for config errors: each names the key, its line, what is allowed and a likely fix.
enum ConfigError {
  static func unknownKey(
    _ document: ConfigDocument, _ keyPath: String, allowed: [String]
  )
    -> GoldfishError
  {
    let key = String(keyPath.split(separator: ".").last ?? "")
    let suggestion = Suggest.closest(to: key, in: allowed)
    return GoldfishError(
      .configInvalid, "\(document.locate(keyPath)): unknown key \"\(ValueQuote.short(key))\"",
      hint: (suggestion.map { "did you mean \"\($0)\"? " } ?? "")
        + "allowed keys: \(allowed.joined(separator: ", "))",
      detail: ["key": .string(keyPath), "line": document.line(of: keyPath).map { .int(Int64($0)) } ?? .null])
  }

  static func wrongType(
    _ document: ConfigDocument, _ keyPath: String, expected: String, found: JSONValue? = nil
  )
    -> GoldfishError
  {
    GoldfishError(
      .configInvalid,
      "\(document.locate(keyPath)) should be \(expected)" + (found.map { ", not \(describe($0))" } ?? ""),
      detail: ["key": .string(keyPath), "line": document.line(of: keyPath).map { .int(Int64($0)) } ?? .null])
  }

  /// A value of the right type outside what is allowed: says the value and the allowed range.
  static func outOfRange(
    _ document: ConfigDocument, _ keyPath: String, value: String, allowed: String
  )
    -> GoldfishError
  {
    GoldfishError(
      .configInvalid, "\(document.locate(keyPath)) is \(value); it must be \(allowed)",
      hint: "allowed: \(allowed)",
      detail: ["key": .string(keyPath), "line": document.line(of: keyPath).map { .int(Int64($0)) } ?? .null])
  }

  /// A word that must be one of a fixed set: names every allowed value and the likely typo fix.
  static func notOneOf(
    _ document: ConfigDocument, _ keyPath: String, value: String, allowed: [String]
  )
    -> GoldfishError
  {
    let suggestion = Suggest.closest(to: value, in: allowed)
    return GoldfishError(
      .configInvalid,
      "\(document.locate(keyPath)) is \"\(ValueQuote.short(value))\"; allowed values: \(allowed.joined(separator: ", "))",
      hint: (suggestion.map { "did you mean \"\($0)\"? " } ?? "")
        + "allowed values: \(allowed.joined(separator: ", "))",
      detail: ["key": .string(keyPath), "line": document.line(of: keyPath).map { .int(Int64($0)) } ?? .null])
  }

  /// Any other rule a value breaks, stated in words.
  static func invalid(
    _ document: ConfigDocument, _ keyPath: String, _ problem: String, hint: String? = nil
  )
    -> GoldfishError
  {
    GoldfishError(
      .configInvalid, "\(document.locate(keyPath)): \(problem)", hint: hint,
      detail: ["key": .string(keyPath), "line": document.line(of: keyPath).map { .int(Int64($0)) } ?? .null])
  }

  /// How a wrong value reads in a message: its YAML type and, when short, the value itself.
  static func describe(_ value: JSONValue) -> String {
    switch value {
    case .null: return "empty"
    case .bool(let flag): return "the boolean \(flag)"
    case .int(let number): return "the number \(number)"
    case .double(let number): return "the number \(number)"
    case .string(let text): return text.count <= 40 ? "the string \"\(text)\"" : "a string"
    case .array: return "a list"
    case .object: return "a mapping"
    }
  }

  static func stringList(_ document: ConfigDocument, _ keyPath: String) throws(GoldfishError) -> [String] {
    guard let value = document.value(at: keyPath), !value.isNull else { return [] }
    if let single = value.stringValue { return [single] }
    guard let items = value.arrayValue else {
      throw wrongType(document, keyPath, expected: "a list of paths")
    }
    var strings: [String] = []
    for (index, item) in items.enumerated() {
      guard let string = item.stringValue, !string.isEmpty else {
        throw wrongType(document, "\(keyPath)[\(index)]", expected: "a non-empty path")
      }
      strings.append(string)
    }
    return strings
  }
}

/// "Did you mean": the closest allowed word within a small edit distance.
enum Suggest {
  static func closest(to word: String, in candidates: [String]) -> String? {
    let limit = max(2, word.count / 3)
    // Two words whose lengths differ by more than the limit are further apart than it: skipping
    // them keeps a megabyte-long word from costing a megabyte-squared comparison.
    let near = candidates.filter { abs($0.count - word.count) <= limit }
    let scored = near.map { ($0, distance(word.lowercased(), $0.lowercased())) }
    guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= limit else {
      return nil
    }
    return best.0
  }

  static func distance(_ a: String, _ b: String) -> Int {
    let a = Array(a)
    let b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
      var current = [i] + Array(repeating: 0, count: b.count)
      for j in 1...b.count {
        current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
      }
      previous = current
    }
    return previous[b.count]
  }
}
