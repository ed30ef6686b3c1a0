import PluginKit

/// Version references as users write them: `vN`, N a whole number from 1 written in ASCII digits,
/// with no sign, space, leading zero or other decoration (Swift's `Int("+1")` alone would take
/// `v+1` as v1). Tools that document it also take the bare number `N`.
public enum VersionLabel {
  /// The version number of `text`, or an `invalid_argument` error that says what a version looks like.
  public static func parse(_ text: String, allowBareNumber: Bool = false) throws(GoldfishError) -> Int {
    let digits: Substring
    if text.hasPrefix("v") {
      digits = text.dropFirst()
    } else if allowBareNumber {
      digits = Substring(text)
    } else {
      throw invalid(text, allowBareNumber: allowBareNumber)
    }
    guard let first = digits.unicodeScalars.first, first != "0",
      digits.unicodeScalars.allSatisfy({ (0x30...0x39).contains($0.value) }), let number = Int(digits)
    else { throw invalid(text, allowBareNumber: allowBareNumber) }
    return number
  }

  static func invalid(_ text: String, allowBareNumber: Bool) -> GoldfishError {
    GoldfishError(
      .invalidArgument,
      "\(NameRule.quoted(text)) is not a version: a version is vN, N a whole number from 1 "
        + "(v1, v2, …) with no sign, space or leading zero\(allowBareNumber ? " (the bare number N works too)" : "")",
      hint: "list the versions: goldfish workspace history WORKSPACE (MCP: manage_versions)",
      detail: ["version": .string(NameRule.quoted(text))])
  }
}
