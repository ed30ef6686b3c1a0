import Foundation

/// A memory amount written the Docker way: "8g", "512m", "1.5GiB", or a plain number of bytes.
public struct MemorySize: Sendable, Equatable, CustomStringConvertible {
  /// As written, so `config show` gives the user's own spelling back.
  public var text: String
  public var bytes: Int64

  public var description: String { text }

  static let units: [String: Double] = {
    let kib = 1024.0
    var units: [String: Double] = ["": 1, "b": 1]
    for (index, letter) in ["k", "m", "g", "t"].enumerated() {
      let scale = pow(kib, Double(index + 1))
      for spelling in [letter, letter + "b", letter + "ib"] { units[spelling] = scale }
    }
    return units
  }()

  /// nil when `text` is not a positive amount in one of the known units.
  public init?(_ text: String) {
    let lowered = text.lowercased().trimmingCharacters(in: .whitespaces)
    let digits = lowered.prefix { $0.isNumber || $0 == "." }
    let unit = lowered.dropFirst(digits.count).trimmingCharacters(in: .whitespaces)
    guard let number = Double(digits), number > 0, let scale = Self.units[unit] else { return nil }
    let bytes = number * scale
    guard bytes >= 1, bytes < 9e18 else { return nil }
    self.text = text
    self.bytes = Int64(bytes)
  }
}
