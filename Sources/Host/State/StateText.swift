/// User text as it may appear in STATE.md: one line, no control characters, bounded.
///
/// STATE.md is what an agent that lost its context trusts first, so nothing a user (or another
/// agent) typed may pass for Goldfish's own structure: a newline in a reason would start a line of
/// its own (a forged `## Slots` heading, a fake list item), and raw escape bytes would drive the
/// terminal of whoever prints the file. Line breaks become the visible `\n`, every other control
/// character (C0, DEL, C1, the Unicode line and paragraph separators, bidirectional overrides)
/// becomes `\u{XXXX}`; the text then always sits inside a line Goldfish started, where `#` cannot
/// open a heading.
enum StateText {
  /// The longest text shown; the database keeps all of it.
  static let shownLength = 1_000

  static func inline(_ text: String, limit: Int = shownLength) -> String {
    var result = ""
    var count = 0
    var scalars = text.unicodeScalars.makeIterator()
    var previous: Unicode.Scalar?
    while let scalar = scalars.next() {
      defer { previous = scalar }
      if count >= limit {
        result += "… (cut; \(TextLimits.grouped(text.count)) characters in all)"
        break
      }
      count += 1
      switch scalar.value {
      case 0x0A where previous == "\r": continue  // "\r\n" is one line break
      case 0x0A, 0x0D, 0x2028, 0x2029, 0x85: result += "\\n"
      case 0x09: result += "\\t"
      case 0x00..<0x20, 0x7F, 0x80..<0xA0, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069:
        result += "\\u{" + hex(scalar.value) + "}"
      default: result.unicodeScalars.append(scalar)
      }
    }
    return result
  }

  private static func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16, uppercase: true)
    return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
  }
}
