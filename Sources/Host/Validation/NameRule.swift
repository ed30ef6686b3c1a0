/// One name rule, written as character classes over ASCII scalars so a failure can say exactly which
/// part of the rule broke (which character, where) instead of "does not match ^…$".
struct NameRule: Sendable {
  let maxLength: Int
  let first: @Sendable (UInt32) -> Bool
  let firstText: String
  let body: @Sendable (UInt32) -> Bool
  let bodyText: String
  let last: (@Sendable (UInt32) -> Bool)?
  let lastText: String
  let refuseKeywords: Bool
  let summary: String
  let example: String

  static func rule(for kind: Names.Kind) -> NameRule {
    switch kind {
    case .workspace, .source:
      return NameRule(
        maxLength: 64, first: isAlnum, firstText: "a letter or digit", body: either(isAlnum, isDashUnderscore),
        bodyText: "letters, digits, \"_\" and \"-\"", last: isAlnum, lastText: "a letter or digit",
        refuseKeywords: false,
        summary: "1-64 ASCII letters, digits, \"_\" or \"-\", starting and ending with a letter or digit",
        example: kind == .workspace ? "baseline-v2" : "imagenet_train")
    case .slot:
      return NameRule(
        maxLength: 32, first: isLower, firstText: "a lowercase letter",
        body: either(isLower, either(isDigit, isDashUnderscore)),
        bodyText: "lowercase letters, digits, \"_\" and \"-\"", last: nil, lastText: "", refuseKeywords: false,
        summary: "1-32 lowercase ASCII letters, digits, \"_\" or \"-\", starting with a letter", example: "w1")
    case .signal, .output:
      return NameRule(
        maxLength: 64, first: isAlnum, firstText: "a letter or digit", body: either(isAlnum, isDashUnderscore),
        bodyText: "letters, digits, \"_\" and \"-\"", last: nil, lastText: "", refuseKeywords: false,
        summary: "1-64 ASCII letters, digits, \"_\" or \"-\", starting with a letter or digit",
        example: "train_features")
    case .stage, .pipeline:
      // The signal rule and the Python identifier rule together: a letter first, then [A-Za-z0-9_].
      return NameRule(
        maxLength: 64, first: isAlpha, firstText: "a letter", body: either(isAlnum, isUnderscore),
        bodyText: "letters, digits and \"_\" (it must be a valid Python module name)", last: nil, lastText: "",
        refuseKeywords: kind == .stage,
        summary: "1-64 ASCII letters, digits or \"_\", starting with a letter (a valid Python module name)",
        example: kind == .stage ? "preprocess" : "train_eval")
    case .metric:
      return NameRule(
        maxLength: 256, first: isAlpha, firstText: "a letter", body: either(isAlnum, isMetricPunctuation),
        bodyText: "letters, digits and \"_ . - / :\"", last: nil, lastText: "", refuseKeywords: false,
        summary: "1-256 ASCII letters, digits or \"_ . - / :\", starting with a letter", example: "train/loss")
    }
  }

  /// The first rule the name breaks, in words, or nil when it is valid.
  func firstFailure(in name: String) -> String? {
    let scalars = Array(name.unicodeScalars)
    guard !scalars.isEmpty else { return "it is empty" }
    for (index, scalar) in scalars.enumerated() where !body(scalar.value) && !(index == 0 && first(scalar.value)) {
      return "it contains \(Self.describe(scalar)) at position \(index + 1); only \(bodyText) are allowed"
    }
    if let head = scalars.first, !first(head.value) {
      return "it starts with \(Self.describe(head)); it must start with \(firstText)"
    }
    if let last, let tail = scalars.last, !last(tail.value) {
      return "it ends with \(Self.describe(tail)); it must end with \(lastText)"
    }
    if scalars.count > maxLength {
      return "it is \(scalars.count) characters long; the limit is \(maxLength)"
    }
    if refuseKeywords, pythonKeywords.contains(name) {
      return "\"\(name)\" is a Python keyword, so `import \(name)` cannot work"
    }
    return nil
  }

  static func describe(_ scalar: Unicode.Scalar) -> String {
    switch scalar.value {
    case 0: return "a NUL byte"
    case 0x0A: return "a newline"
    case 0x0D: return "a carriage return"
    case 0x09: return "a tab"
    case 0x20: return "a space"
    case 0x2F, 0x5C: return "a path separator '\(scalar)'"
    case 0x00..<0x20, 0x7F: return "a control character U+\(hex(scalar.value))"
    case 0x80...:
      return
        "the non-ASCII character '\(scalar)' (U+\(hex(scalar.value)); names are ASCII only, and look-alike letters are refused)"
    default:
      if shellMetacharacters.contains(scalar) { return "the shell metacharacter '\(scalar)'" }
      if (0x41...0x5A).contains(scalar.value) { return "the uppercase letter '\(scalar)'" }
      return "'\(scalar)'"
    }
  }

  /// The name as it can be shown safely: control and non-ASCII characters escaped, long names cut.
  static func quoted(_ name: String) -> String {
    var text = ""
    for (index, scalar) in name.unicodeScalars.enumerated() {
      if index == 80 {
        text += "…"
        break
      }
      if scalar.value < 0x20 || scalar.value == 0x7F || scalar.value >= 0x80 || scalar == "\"" || scalar == "\\" {
        text += scalar == "\"" ? "\\\"" : scalar == "\\" ? "\\\\" : "\\u{\(hex(scalar.value))}"
      } else {
        text.unicodeScalars.append(scalar)
      }
    }
    return "\"\(text)\""
  }

  private static func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16, uppercase: true)
    return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
  }

  private static let shellMetacharacters = Set(";|&$`\"'<>*?[]{}()~!#=%^".unicodeScalars)
}

private func either(
  _ a: @escaping @Sendable (UInt32) -> Bool, _ b: @escaping @Sendable (UInt32) -> Bool
) -> @Sendable (UInt32) -> Bool {
  { a($0) || b($0) }
}

private let isLower: @Sendable (UInt32) -> Bool = { (0x61...0x7A).contains($0) }
private let isUpper: @Sendable (UInt32) -> Bool = { (0x41...0x5A).contains($0) }
private let isDigit: @Sendable (UInt32) -> Bool = { (0x30...0x39).contains($0) }
private let isAlpha: @Sendable (UInt32) -> Bool = { isLower($0) || isUpper($0) }
private let isAlnum: @Sendable (UInt32) -> Bool = { isAlpha($0) || isDigit($0) }
private let isUnderscore: @Sendable (UInt32) -> Bool = { $0 == 0x5F }
private let isDashUnderscore: @Sendable (UInt32) -> Bool = { $0 == 0x5F || $0 == 0x2D }
private let isMetricPunctuation: @Sendable (UInt32) -> Bool = { [0x5F, 0x2E, 0x2D, 0x2F, 0x3A].contains($0) }

private let pythonKeywords: Set<String> = [
  "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del",
  "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal",
  "not", "or", "pass", "raise", "return", "try", "while", "with", "yield",
]
