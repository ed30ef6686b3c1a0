import PluginKit

extension GoldfishError.Code {
  public static let textTooLong = Self("text_too_long")
}

/// Size limits for the free text a user gives (reasons, goals, thoughts, messages, descriptions).
/// Each lands in the database, in STATE.md and in answers an agent reads again and again, so one
/// huge value would make every later `status` huge too. The error states the limit and the size,
/// never the text.
public enum TextLimits {
  public static let reason = 4_000
  public static let goal = 4_000
  public static let thought = 4_000
  public static let message = 4_000
  public static let description = 4_000

  /// Throws `text_too_long` when `text` has more than `limit` characters; `field` names it in the
  /// message ("a goal is at most 4,000 characters; this one has 10,485,760").
  public static func check(_ text: String, field: String, limit: Int) throws(GoldfishError) {
    // Counting characters walks the whole string: bytes bound it first, cheaply.
    guard text.utf8.count > limit else { return }
    let count = text.count
    guard count > limit else { return }
    throw GoldfishError(
      .textTooLong,
      "\(article(field)) \(field) is at most \(grouped(limit)) characters; this one has \(grouped(count))",
      hint: "shorten it; longer notes belong in a file of the workspace",
      detail: ["field": .string(field), "limit": .int(Int64(limit)), "length": .int(Int64(count))])
  }

  private static func article(_ word: String) -> String {
    guard let first = word.first else { return "a" }
    return "aeiou".contains(first) ? "an" : "a"
  }

  /// 10485760 as "10,485,760": limits and sizes read the same whatever the locale.
  public static func grouped(_ value: Int) -> String {
    let digits = String(value.magnitude)
    var text = ""
    for (index, digit) in digits.enumerated() {
      if index > 0 && (digits.count - index) % 3 == 0 { text.append(",") }
      text.append(digit)
    }
    return value < 0 ? "-" + text : text
  }
}
