import Foundation

/// gitignore rules: `*`, `**`, `?`, `[…]`, a leading `/` or inner `/` anchors to the root, a
/// trailing `/` matches folders only, `!` re-includes, `#` comments. The last matching rule wins.
public struct IgnoreRules: Sendable {
  public static let defaultPatterns = [
    ".git/", "__pycache__/", "*.pyc", "*.pyo", ".pytest_cache/", ".ipynb_checkpoints/", ".DS_Store", ".venv/",
    ".mypy_cache/", ".ruff_cache/",
  ]

  struct Rule: @unchecked Sendable {
    var regex: NSRegularExpression
    var negated: Bool
    var directoryOnly: Bool
    var anchored: Bool
  }

  let rules: [Rule]

  public init(patterns: [String]) {
    rules = patterns.compactMap(Self.rule)
  }

  private init(rules: [Rule]) { self.rules = rules }

  /// These rules plus those of a .gitignore file, when it exists.
  public func adding(gitignoreAt path: String) -> IgnoreRules {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return self }
    let extra = text.split(whereSeparator: \.isNewline).map(String.init).compactMap(Self.rule)
    return IgnoreRules(rules: rules + extra)
  }

  public func isIgnored(_ relativePath: String, isDirectory: Bool) -> Bool {
    let name = relativePath.split(separator: "/").last.map(String.init) ?? relativePath
    var ignored = false
    for rule in rules {
      if rule.directoryOnly && !isDirectory { continue }
      let subject = rule.anchored ? relativePath : name
      let range = NSRange(subject.startIndex..., in: subject)
      if rule.regex.firstMatch(in: subject, range: range) != nil { ignored = !rule.negated }
    }
    return ignored
  }

  private static func rule(_ line: String) -> Rule? {
    var pattern = line.trimmingCharacters(in: .whitespaces)
    if pattern.isEmpty || pattern.hasPrefix("#") { return nil }
    var negated = false
    if pattern.hasPrefix("!") {
      negated = true
      pattern.removeFirst()
    }
    var directoryOnly = false
    if pattern.hasSuffix("/") {
      directoryOnly = true
      pattern.removeLast()
    }
    var anchored = pattern.contains("/")
    if pattern.hasPrefix("/") {
      pattern.removeFirst()
      anchored = true
    }
    guard !pattern.isEmpty, let regex = try? NSRegularExpression(pattern: "^" + translate(pattern) + "$") else {
      return nil
    }
    return Rule(regex: regex, negated: negated, directoryOnly: directoryOnly, anchored: anchored)
  }

  /// Glob to regular expression, `**` crossing folders and `*` staying within one.
  static func translate(_ glob: String) -> String {
    var out = ""
    let characters = Array(glob)
    var index = 0
    while index < characters.count {
      let character = characters[index]
      switch character {
      case "*":
        if index + 1 < characters.count && characters[index + 1] == "*" {
          if index + 2 < characters.count && characters[index + 2] == "/" {
            out += "(?:.*/)?"
            index += 3
          } else {
            out += ".*"
            index += 2
          }
          continue
        }
        out += "[^/]*"
      case "?": out += "[^/]"
      case "[":
        if let close = characters[index...].firstIndex(of: "]"), close > index + 1 {
          var set = String(characters[(index + 1)..<close])
          if set.hasPrefix("!") { set = "^" + set.dropFirst() }
          out += "[" + set.replacingOccurrences(of: "\\", with: "\\\\") + "]"
          index = close + 1
          continue
        }
        out += "\\["
      default:
        out += NSRegularExpression.escapedPattern(for: String(character))
      }
      index += 1
    }
    return out
  }
}
