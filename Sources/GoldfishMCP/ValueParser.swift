import Foundation
import MCP

/// Reads JSON text that JSONEncoder just wrote into MCP's `Value`, in one pass. The SDK's own
/// `Value` decoding tries each type in turn through JSONDecoder (a thrown error per miss at every
/// node) and matches a regular expression against every string: for a `status` result that was
/// most of the call. The answer is the same `Value` (numbers without a fraction or exponent are
/// `.int`, data URLs `.data`); text it cannot read returns nil and the caller falls back.
struct ValueParser {
  private let bytes: [UInt8]
  private var index = 0

  static func parse(_ data: Data) -> Value? {
    var parser = ValueParser(bytes: [UInt8](data))
    guard let value = parser.value() else { return nil }
    parser.skipBlanks()
    return parser.index == parser.bytes.count ? value : nil
  }

  private init(bytes: [UInt8]) { self.bytes = bytes }

  private mutating func skipBlanks() {
    while index < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[index]) { index += 1 }
  }

  private mutating func value() -> Value? {
    skipBlanks()
    guard index < bytes.count else { return nil }
    switch bytes[index] {
    case UInt8(ascii: "{"): return object()
    case UInt8(ascii: "["): return array()
    case UInt8(ascii: "\""): return string().map(Self.stringValue)
    case UInt8(ascii: "t"): return literal("true", .bool(true))
    case UInt8(ascii: "f"): return literal("false", .bool(false))
    case UInt8(ascii: "n"): return literal("null", .null)
    default: return number()
    }
  }

  private static func stringValue(_ text: String) -> Value {
    if text.hasPrefix("data:"), Data.isDataURL(string: text), let (mimeType, data) = Data.parseDataURL(text) {
      return .data(mimeType: mimeType, data)
    }
    return .string(text)
  }

  private mutating func literal(_ word: String, _ result: Value) -> Value? {
    let utf8 = Array(word.utf8)
    guard index + utf8.count <= bytes.count, Array(bytes[index..<index + utf8.count]) == utf8 else { return nil }
    index += utf8.count
    return result
  }

  private mutating func object() -> Value? {
    index += 1
    var fields: [String: Value] = [:]
    skipBlanks()
    if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
      index += 1
      return .object(fields)
    }
    while true {
      skipBlanks()
      guard index < bytes.count, bytes[index] == UInt8(ascii: "\""), let key = string() else { return nil }
      skipBlanks()
      guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return nil }
      index += 1
      guard let item = value() else { return nil }
      fields[key] = item
      skipBlanks()
      guard index < bytes.count else { return nil }
      if bytes[index] == UInt8(ascii: ",") {
        index += 1
        continue
      }
      guard bytes[index] == UInt8(ascii: "}") else { return nil }
      index += 1
      return .object(fields)
    }
  }

  private mutating func array() -> Value? {
    index += 1
    var items: [Value] = []
    skipBlanks()
    if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
      index += 1
      return .array(items)
    }
    while true {
      guard let item = value() else { return nil }
      items.append(item)
      skipBlanks()
      guard index < bytes.count else { return nil }
      if bytes[index] == UInt8(ascii: ",") {
        index += 1
        continue
      }
      guard bytes[index] == UInt8(ascii: "]") else { return nil }
      index += 1
      return .array(items)
    }
  }

  private mutating func string() -> String? {
    index += 1
    var scalars: [UInt8] = []
    while index < bytes.count {
      let byte = bytes[index]
      index += 1
      if byte == UInt8(ascii: "\"") { return String(decoding: scalars, as: UTF8.self) }
      guard byte == UInt8(ascii: "\\") else {
        scalars.append(byte)
        continue
      }
      guard index < bytes.count else { return nil }
      let escape = bytes[index]
      index += 1
      switch escape {
      case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scalars.append(escape)
      case UInt8(ascii: "b"): scalars.append(0x08)
      case UInt8(ascii: "f"): scalars.append(0x0C)
      case UInt8(ascii: "n"): scalars.append(0x0A)
      case UInt8(ascii: "r"): scalars.append(0x0D)
      case UInt8(ascii: "t"): scalars.append(0x09)
      case UInt8(ascii: "u"):
        guard var code = hex4() else { return nil }
        if (0xD800..<0xDC00).contains(code) {
          // A surrogate pair: the low half must follow as \uXXXX.
          guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
          else { return nil }
          index += 2
          guard let low = hex4(), (0xDC00..<0xE000).contains(low) else { return nil }
          code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
        }
        guard let scalar = Unicode.Scalar(code) else { return nil }
        scalars.append(contentsOf: Array(String(Character(scalar)).utf8))
      default: return nil
      }
    }
    return nil
  }

  private mutating func hex4() -> UInt32? {
    guard index + 4 <= bytes.count else { return nil }
    var code: UInt32 = 0
    for byte in bytes[index..<index + 4] {
      guard let digit = Character(Unicode.Scalar(byte)).hexDigitValue else { return nil }
      code = code << 4 | UInt32(digit)
    }
    index += 4
    return code
  }

  private mutating func number() -> Value? {
    let start = index
    var integral = true
    while index < bytes.count {
      let byte = bytes[index]
      if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") || byte == UInt8(ascii: "-")
        || byte == UInt8(ascii: "+")
      {
        index += 1
      } else if byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
        integral = false
        index += 1
      } else {
        break
      }
    }
    guard index > start else { return nil }
    let text = String(decoding: bytes[start..<index], as: UTF8.self)
    if integral, let whole = Int(text) { return .int(whole) }
    return Double(text).map(Value.double)
  }
}
