import Foundation
import Testing

@testable import Host

/// Stored times are text that must sort as time and read back as the instant they name; the
/// formatter behind them was 24 % of an MCP `status` (a new ICU formatter per timestamp).
struct TimestampTests {
  private func reference(_ options: ISO8601DateFormatter.Options) -> ISO8601DateFormatter {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = options
    return formatter
  }

  @Test("formats exactly as ISO8601DateFormatter with milliseconds, to the nearest one")
  func formatsAsFoundation() {
    let foundation = reference([.withInternetDateTime, .withFractionalSeconds])
    var generator = SystemRandomNumberGenerator()
    var dates = [
      Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: 1_767_225_599.9999),
      Date(timeIntervalSince1970: 951_782_400.5),  // 2000-02-29
      Date(timeIntervalSince1970: 4_102_444_799.999), Date(timeIntervalSince1970: 1_764_806_400.0005),
    ]
    for _ in 0..<5_000 {
      dates.append(Date(timeIntervalSince1970: Double.random(in: 0..<4_102_444_800, using: &generator)))
    }
    for date in dates {
      #expect(Timestamp.format(date) == foundation.string(from: date), "\(date.timeIntervalSince1970)")
    }
  }

  @Test("reads back what it writes, and reads other RFC 3339 spellings as Foundation does")
  func parsesAsFoundation() throws {
    let foundation = reference([.withInternetDateTime, .withFractionalSeconds])
    for seconds in stride(from: 0.0, to: 4_000_000_000, by: 7_777_777.123) {
      let text = Timestamp.format(Date(timeIntervalSince1970: seconds))
      let parsed = try #require(Timestamp.parse(text))
      let expected = try #require(foundation.date(from: text))
      #expect(abs(parsed.timeIntervalSince(expected)) < 0.000_001, "\(text)")
      #expect(Timestamp.format(parsed) == text)
    }
    for other in ["2026-12-04T10:10:54.524+01:00", "2026-12-04T10:10:54.5Z"] {
      let expected = try #require(foundation.date(from: other))
      #expect(Timestamp.parse(other) == expected, "\(other)")
    }
    #expect(Timestamp.parse("2026-12-04T10:10:54.524Z") != nil)
    for bad in ["", "2026-12-04", "2026-13-04T10:10:54.524Z", "2026-02-30T10:10:54.524Z", "2026-12-04T25:10:54.524Z",
      "2026-12-04T10:10:54.524", "2026-12-04T10:10:54Z", "not a time at all, 24chr"]
    {
      #expect(Timestamp.parse(bad) == foundation.date(from: bad), "\(bad)")
    }
  }
}
