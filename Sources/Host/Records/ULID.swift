import Foundation
import Synchronization

/// Record ids: 26 Crockford base32 characters, 48 bits of milliseconds then 80 random bits, so
/// ids sort by creation time as text and as numbers.
public enum ULID {
  private static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)
  private static let last = Mutex<(milliseconds: UInt64, random: (high: UInt16, low: UInt64))>((0, (0, 0)))

  /// A new id for now. Ids made by one process never go backwards: within one millisecond (or
  /// if the clock steps back) they count up from the previous one.
  public static func make() -> String {
    let now = UInt64(max(0, Date().timeIntervalSince1970 * 1000))
    let (time, random) = last.withLock { state in
      if now <= state.milliseconds {
        let (low, carry) = state.random.low.addingReportingOverflow(1)
        state.random = (state.random.high &+ (carry ? 1 : 0), low)
      } else {
        state = (now, (UInt16.random(in: 0...UInt16.max), UInt64.random(in: 0...UInt64.max)))
      }
      return (state.milliseconds, state.random)
    }
    return encode(time: time, high: random.high, low: random.low)
  }

  /// A new id carrying `date` (records backfilled for old runs keep their own time).
  public static func make(at date: Date) -> String {
    encode(
      time: UInt64(max(0, date.timeIntervalSince1970 * 1000)), high: UInt16.random(in: 0...UInt16.max),
      low: UInt64.random(in: 0...UInt64.max))
  }

  /// The id with the smallest random part for `date`: a bound for "created before/after".
  public static func floor(of date: Date) -> String {
    encode(time: UInt64(max(0, date.timeIntervalSince1970 * 1000)), high: 0, low: 0)
  }

  /// When the id was made, or nil when it is not a ULID.
  public static func date(of id: String) -> Date? {
    guard isValid(id) else { return nil }
    var time: UInt64 = 0
    for byte in id.utf8.prefix(10) {
      guard let digit = alphabet.firstIndex(of: byte) else { return nil }
      time = time << 5 | UInt64(digit)
    }
    return Date(timeIntervalSince1970: Double(time) / 1000)
  }

  /// Ids for things made in the past (a migration's backfill), each carrying its own date.
  /// `make(at:)` would not do: once this process made an id for now, it counts up from that one
  /// for any earlier date, so an old run would get today's time. Dates are taken in order; ids of
  /// one millisecond count up, and an earlier date than the last one continues after it.
  public struct Backfill {
    private var last: (milliseconds: UInt64, high: UInt16, low: UInt64)?

    public init() {}

    public mutating func make(at date: Date) -> String {
      let milliseconds = UInt64(max(0, date.timeIntervalSince1970 * 1000))
      let next: (milliseconds: UInt64, high: UInt16, low: UInt64)
      if let last, milliseconds <= last.milliseconds {
        let (low, carry) = last.low.addingReportingOverflow(1)
        next = (last.milliseconds, last.high &+ (carry ? 1 : 0), low)
      } else {
        next = (milliseconds, UInt16.random(in: 0...UInt16.max), UInt64.random(in: 0...UInt64.max))
      }
      last = next
      return encode(time: next.milliseconds, high: next.high, low: next.low)
    }
  }

  public static func isValid(_ id: String) -> Bool {
    id.utf8.count == 26 && id.utf8.allSatisfy { alphabet.contains($0) }
      && id.utf8.first.map { $0 <= UInt8(ascii: "7") } == true
  }

  fileprivate static func encode(time: UInt64, high: UInt16, low: UInt64) -> String {
    var characters = [UInt8](repeating: 0, count: 26)
    var value = time
    for index in stride(from: 9, through: 0, by: -1) {
      characters[index] = alphabet[Int(value & 31)]
      value >>= 5
    }
    // 80 random bits: 16 high, 64 low, as 16 characters of 5 bits.
    var lowBits = low
    var highBits = UInt32(high)
    for index in stride(from: 25, through: 10, by: -1) {
      characters[index] = alphabet[Int(lowBits & 31)]
      lowBits = lowBits >> 5 | UInt64(highBits & 31) << 59
      highBits >>= 5
    }
    return String(decoding: characters, as: UTF8.self)
  }
}
