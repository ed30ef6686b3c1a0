import Foundation

/// Times are stored as RFC 3339 UTC text with milliseconds, which sorts correctly as text.
///
/// The canonical spelling (`2026-12-04T10:10:54.524Z`) is written and read by hand: a new
/// ISO8601DateFormatter per call builds an ICU formatter, which was a quarter of an MCP
/// `status`. Anything else is read by Foundation, so every spelling it accepts still reads.
public enum Timestamp {
  public static func now() -> String { format(Date()) }

  public static func format(_ date: Date) -> String {
    // As Foundation's formatter does: the nearest whole millisecond.
    let millis = (date.timeIntervalSince1970 * 1000).rounded()
    var seconds = time_t((millis / 1000).rounded(.down))
    var fields = tm()
    guard millis.isFinite, gmtime_r(&seconds, &fields) != nil, (0...8099).contains(fields.tm_year) else {
      return foundationFormatter().string(from: date)
    }
    let fraction = Int(millis - Double(seconds) * 1000)
    var bytes = [UInt8](repeating: 0, count: 24)
    put(Int(fields.tm_year) + 1900, width: 4, at: 0, in: &bytes)
    put(Int(fields.tm_mon) + 1, width: 2, at: 5, in: &bytes)
    put(Int(fields.tm_mday), width: 2, at: 8, in: &bytes)
    put(Int(fields.tm_hour), width: 2, at: 11, in: &bytes)
    put(Int(fields.tm_min), width: 2, at: 14, in: &bytes)
    put(Int(fields.tm_sec), width: 2, at: 17, in: &bytes)
    put(fraction, width: 3, at: 20, in: &bytes)
    for (offset, separator) in [(4, "-"), (7, "-"), (10, "T"), (13, ":"), (16, ":"), (19, "."), (23, "Z")] {
      bytes[offset] = separator.utf8.first!
    }
    return String(decoding: bytes, as: UTF8.self)
  }

  /// The instant a stored timestamp names; nil for text that is not one.
  public static func parse(_ text: String) -> Date? {
    if let date = parseCanonical(text) { return date }
    return foundationFormatter().date(from: text)
  }

  private static func parseCanonical(_ text: String) -> Date? {
    let bytes = Array(text.utf8)
    guard bytes.count == 24, bytes[23] == UInt8(ascii: "Z") else { return nil }
    func number(_ start: Int, _ width: Int) -> Int? {
      var value = 0
      for byte in bytes[start..<start + width] {
        guard (48...57).contains(byte) else { return nil }
        value = value * 10 + Int(byte - 48)
      }
      return value
    }
    guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2), let hour = number(11, 2),
      let minute = number(14, 2), let second = number(17, 2), let fraction = number(20, 3)
    else { return nil }
    var fields = tm()
    fields.tm_year = Int32(year - 1900)
    fields.tm_mon = Int32(month - 1)
    fields.tm_mday = Int32(day)
    fields.tm_hour = Int32(hour)
    fields.tm_min = Int32(minute)
    fields.tm_sec = Int32(second)
    let seconds = timegm(&fields)
    let date = Date(timeIntervalSince1970: (Double(seconds) * 1000 + Double(fraction)) / 1000)
    // timegm normalises (February 30th becomes March 2nd): only text that is its own
    // spelling is taken here; the rest is Foundation's to accept or refuse.
    return format(date) == text ? date : nil
  }

  private static func put(_ value: Int, width: Int, at start: Int, in bytes: inout [UInt8]) {
    var rest = value
    for index in stride(from: start + width - 1, through: start, by: -1) {
      bytes[index] = UInt8(48 + rest % 10)
      rest /= 10
    }
  }

  private static func foundationFormatter() -> ISO8601DateFormatter {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return formatter
  }
}
