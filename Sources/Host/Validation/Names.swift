import PluginKit

extension GoldfishError.Code {
  public static let invalidName = Self("invalid_name")
  /// A name that could mean a slot or a workspace, where the rule that decides would surprise.
  public static let ambiguousName = Self("ambiguous_name")
}

/// Validators for every user-supplied name that ends up in a path, a git ref, a database key or a
/// process argument. Names are checked scalar by scalar over ASCII only, so that look-alike letters
/// (Cyrillic "а", full-width digits, combining accents) never pass as their Latin twins, and a
/// trailing newline is refused (Python's `$` lets "name\n" through; we do not).
public enum Names {
  /// Workspace names: 1–64 letters, digits, "_" or "-", starting and ending with a letter or digit.
  public static func workspace(_ name: String) throws(GoldfishError) {
    try check(name, as: .workspace)
  }

  /// A new workspace's name in a project with these slots: the workspace rule, and never a name that
  /// could be read as a slot, so that tools taking "a workspace or the slot holding it" are never
  /// ambiguous. Reserved: the project's slot names and every `wN` (the default slots, and those a
  /// later `slots: N` would add), in any letter case.
  public static func workspace(_ name: String, slots: [String]) throws(GoldfishError) {
    try check(name, as: .workspace)
    let lowered = name.lowercased()
    let slotPattern =
      lowered.count >= 2 && lowered.hasPrefix("w")
      && lowered.unicodeScalars.dropFirst().allSatisfy { (0x30...0x39).contains($0.value) }
    guard slotPattern || slots.contains(where: { $0.lowercased() == lowered }) else { return }
    let rule = NameRule.rule(for: .workspace)
    throw GoldfishError(
      .invalidName,
      "invalid workspace name \(NameRule.quoted(name)): it could be read as a slot (names of the form wN and "
        + "this project's slot names, \(slots.joined(separator: ", ")), are reserved for slots)",
      hint: "name the line of work instead, for example \"\(rule.example)\"",
      detail: ["kind": .string("workspace"), "name": .string(name), "reserved": .string("slot")])
  }

  /// Source (dataset) names follow the workspace rule.
  public static func source(_ name: String) throws(GoldfishError) {
    try check(name, as: .source)
  }

  /// Slot names: 1–32 lowercase letters, digits, "_" or "-", starting with a letter.
  public static func slot(_ name: String) throws(GoldfishError) {
    try check(name, as: .slot)
  }

  /// Stage names double as Python module names (`modules/<stage>.py` is imported by name), so on top
  /// of the signal rule they must be identifiers: a letter or "_" first, then letters, digits, "_";
  /// Python keywords are refused because `import class` cannot work.
  public static func stage(_ name: String) throws(GoldfishError) {
    try check(name, as: .stage)
  }

  /// Signal (input and output) names: 1–64 letters, digits, "_" or "-", starting with a letter or digit.
  public static func signal(_ name: String) throws(GoldfishError) {
    try check(name, as: .signal)
  }

  /// Output names (promote_artifact and friends) share the signal rule.
  public static func output(_ name: String) throws(GoldfishError) {
    try check(name, as: .output)
  }

  /// Metric names: a letter, then up to 255 letters, digits or `_ . - / :` ("train/loss", "epoch:1/acc").
  public static func metric(_ name: String) throws(GoldfishError) {
    try check(name, as: .metric)
  }

  /// Pipeline names (`pipelines/<name>.yaml`) follow the stage character rule (keywords allowed: a
  /// pipeline is never imported).
  public static func pipeline(_ name: String) throws(GoldfishError) {
    try check(name, as: .pipeline)
  }

  /// True when `name` passes the rule for `kind`; for callers that only branch.
  public static func isValid(_ name: String, as kind: Kind) -> Bool {
    (try? check(name, as: kind)) != nil
  }

  public enum Kind: String, Sendable, CaseIterable {
    case workspace, source, slot, stage, signal, output, metric, pipeline
  }

  public static func check(_ name: String, as kind: Kind) throws(GoldfishError) {
    let rule = NameRule.rule(for: kind)
    if let failure = rule.firstFailure(in: name) {
      throw GoldfishError(
        .invalidName,
        "invalid \(kind.rawValue) name \(NameRule.quoted(name)): \(failure)",
        hint: "\(rule.summary), for example \"\(rule.example)\"",
        detail: [
          "kind": .string(kind.rawValue), "name": .string(name), "rule": .string(rule.summary),
          "example": .string(rule.example),
        ])
    }
  }
}
