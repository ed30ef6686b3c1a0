import PluginKit

/// Builders for config errors: each names the key, its line, what is allowed and a likely fix.
enum ConfigError {
  static func unknownKey(_ document: ConfigDocument, _ keyPath: String, allowed: [String])
    -> GoldfishError
  {
    let key = String(keyPath.split(separator: ".").last ?? "")
    let suggestion = Suggest.closest(to: key, in: allowed)
    return GoldfishError(
      .configInvalid, "\(document.locate(keyPath)): unknown key \"\(key)\"",
      hint: (suggestion.map { "did you mean \"\($0)\"? " } ?? "")
        + "allowed keys: \(allowed.joined(separator: ", "))",
      detail: ["key": .string(keyPath), "line": document.line(of: keyPath).map { .int(Int64($0)) } ?? .null])
  }

  static func wrongType(_ document: ConfigDocument, _ keyPath: String, expected: String)
    -> GoldfishError
  {
    GoldfishError(
      .configInvalid, "\(document.locate(keyPath)) should be \(expected)",
      detail: ["key": .string(keyPath), "line": document.line(of: keyPath).map { .int(Int64($0)) } ?? .null])
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
    let scored = candidates.map { ($0, distance(word.lowercased(), $0.lowercased())) }
    guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(2, word.count / 3) else {
      return nil
    }
    return best.0
  }

  static func distance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
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
