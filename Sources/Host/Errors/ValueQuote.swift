/// How an error quotes a value somebody gave: whole when short, else its first characters and its
/// length. An agent reads every error into its context window; a 1 MB name echoed back whole
/// costs it a megabyte for nothing.
public enum ValueQuote {
  /// Unicode scalars kept of a long value: enough to recognise it.
  public static let prefixLength = 80

  /// The value when it has at most `prefixLength` scalars, else `prefix… (N characters)`.
  /// Counted in scalars, not grapheme clusters: one "character" can hold a million combining marks.
  public static func short(_ text: String) -> String {
    let scalars = text.unicodeScalars
    var index = scalars.startIndex
    var kept = 0
    while kept < prefixLength, index != scalars.endIndex {
      scalars.formIndex(after: &index)
      kept += 1
    }
    guard index != scalars.endIndex else { return text }
    return String(scalars[..<index]) + "… (\(scalars.count) characters)"
  }

  /// True when `short` would cut `text`.
  public static func isLong(_ text: String) -> Bool {
    var count = 0
    for _ in text.unicodeScalars {
      count += 1
      if count > prefixLength { return true }
    }
    return false
  }
}
