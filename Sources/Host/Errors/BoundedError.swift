import Foundation
import PluginKit

/// An error made small enough to hand to an agent: long values someone gave are quoted by their
/// start (`ValueQuote`), and whatever else is long (a message built from many names, a detail
/// list of twenty thousand issues) is cut with a note saying how much was left out.
extension GoldfishError {
  /// Scalars kept of a message or hint; of each string inside `detail`.
  static let messageLimit = 2000
  static let detailStringLimit = 400
  /// Items kept of each list and fields of each object inside `detail`.
  static let detailItemLimit = 50

  /// This error with every long value of `given` (the caller's arguments) replaced by its short
  /// quote wherever it appears, and every part cut to its limit.
  public func bounded(quoting given: [String] = []) -> GoldfishError {
    let long = Set(given.filter(ValueQuote.isLong)).sorted { $0.utf8.count > $1.utf8.count }
    func quoted(_ text: String, limit: Int) -> String {
      var text = text
      for value in long where text.contains(value) {
        text = text.replacingOccurrences(of: value, with: ValueQuote.short(value))
      }
      return Self.cut(text, limit: limit)
    }
    func walk(_ value: JSONValue, depth: Int) -> JSONValue {
      switch value {
      case .string(let text):
        return .string(quoted(text, limit: Self.detailStringLimit))
      case .array(let items):
        guard depth <= 8 else { return .string("…") }
        var kept = items.prefix(Self.detailItemLimit).map { walk($0, depth: depth + 1) }
        if items.count > Self.detailItemLimit {
          kept.append(.string("… (\(items.count - Self.detailItemLimit) more)"))
        }
        return .array(kept)
      case .object(let fields):
        guard depth <= 8 else { return .string("…") }
        var kept: [String: JSONValue] = [:]
        for key in fields.keys.sorted().prefix(Self.detailItemLimit) {
          kept[quoted(key, limit: Self.detailStringLimit)] = fields[key].map { walk($0, depth: depth + 1) }
        }
        return .object(kept)
      default:
        return value
      }
    }
    var result = self
    result.message = quoted(message, limit: Self.messageLimit)
    result.hint = hint.map { quoted($0, limit: Self.messageLimit) }
    result.detail = detail.mapValues { walk($0, depth: 0) }
    return result
  }

  /// `text` cut to `limit` scalars, saying how many were left out.
  public static func cut(_ text: String, limit: Int) -> String {
    let scalars = text.unicodeScalars
    guard let end = scalars.index(scalars.startIndex, offsetBy: limit, limitedBy: scalars.endIndex),
      end != scalars.endIndex
    else { return text }
    return String(scalars[..<end]) + "… (\(scalars.count - limit) more characters)"
  }
}
