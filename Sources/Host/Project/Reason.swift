import Foundation

extension GoldfishError.Code {
  public static let reasonTooShort = Self("reason_too_short")
}

/// Every mutating operation says why, so the journal explains itself later.
public enum Reason {
  public static func validate(_ reason: String, minimum: Int) throws(GoldfishError) -> String {
    let trimmed = reason.trimmingCharacters(in: .whitespacesAndNewlines)
    try TextLimits.check(trimmed, field: "reason", limit: TextLimits.reason)
    guard trimmed.count >= minimum else {
      throw GoldfishError(
        .reasonTooShort,
        "the reason is \(trimmed.count) characters; at least \(minimum) are required",
        hint: "say why, e.g. --reason \"try a smaller learning rate after the loss diverged\"",
        detail: ["minimum": .int(Int64(minimum)), "length": .int(Int64(trimmed.count))])
    }
    return trimmed
  }
}
