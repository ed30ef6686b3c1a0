import Foundation
import Host

/// Splits the bytes a client writes into newline-delimited messages, in one pass over the input:
/// each byte is looked at once and copied at most once, whatever the size of a read or a line.
/// A line longer than `limit` is not kept: its first bytes are (so its request id can be found for
/// the error answer) and the rest are counted and dropped, so memory stays bounded too.
struct RequestLines {
  enum Item: Equatable {
    /// A whole message, without its newline.
    case line(Data)
    /// A message over the limit: its first `headLimit` bytes and its full length.
    case tooLong(head: Data, bytes: Int)
  }

  /// The longest message kept: far above any real tool call (goldfish's own YAML files are at
  /// most 4 MB), far below a memory problem.
  static let defaultLimit = 8 << 20
  /// Bytes kept of an over-long line: enough to find an `"id"` written before `"params"`.
  static let headLimit = 64 * 1024

  let limit: Int
  private var line = Data()
  /// Bytes of the current line beyond what was kept, once it went over the limit.
  private var overflow: Int?
  private var head = Data()

  init(limit: Int = Self.defaultLimit) {
    self.limit = limit
  }

  /// Takes the bytes of one read; hands out every message they complete, in order.
  mutating func feed(_ bytes: UnsafeRawBufferPointer, _ emit: (Item) -> Void) {
    guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
    var start = 0
    while start < bytes.count {
      let remaining = bytes.count - start
      guard let found = memchr(base + start, Int32(UInt8(ascii: "\n")), remaining) else {
        append(UnsafeRawBufferPointer(start: base + start, count: remaining))
        return
      }
      let end = base.distance(to: UnsafeRawPointer(found))
      append(UnsafeRawBufferPointer(start: base + start, count: end - start))
      complete(emit)
      start = end + 1
    }
  }

  /// The end of input: a last message without a newline is still a message.
  mutating func finish(_ emit: (Item) -> Void) {
    complete(emit)
  }

  private mutating func append(_ segment: UnsafeRawBufferPointer) {
    guard !segment.isEmpty else { return }
    if let dropped = overflow {
      if head.count < Self.headLimit {
        head.append(contentsOf: segment.prefix(Self.headLimit - head.count))
      }
      overflow = dropped + segment.count
      return
    }
    if line.count + segment.count <= limit, let start = segment.baseAddress {
      line.append(start.assumingMemoryBound(to: UInt8.self), count: segment.count)
      return
    }
    head = Data(line.prefix(Self.headLimit))
    if head.count < Self.headLimit { head.append(contentsOf: segment.prefix(Self.headLimit - head.count)) }
    overflow = line.count + segment.count
    line = Data()
  }

  private mutating func complete(_ emit: (Item) -> Void) {
    if let bytes = overflow {
      emit(.tooLong(head: head, bytes: bytes))
      head = Data()
      overflow = nil
    } else if !line.isEmpty {
      emit(.line(line))
      line = Data()
    }
  }
}

/// The id of a JSON-RPC request read from the start of its text, without parsing the rest: the
/// answer to a request too long to read still names the request it refuses.
enum RequestHead {
  /// The JSON text of the top-level `"id"` (a number or a string), or nil when the head does not
  /// hold a whole one.
  static func id(in head: Data) -> Data? {
    let bytes = [UInt8](head)
    var index = 0
    func skipSpace() {
      while index < bytes.count,
        bytes[index] == 0x20 || bytes[index] == 0x09 || bytes[index] == 0x0A
          || bytes[index] == 0x0D
      {
        index += 1
      }
    }
    /// Moves past a string starting at `index`; false when it does not end inside the head.
    func skipString() -> Bool {
      index += 1
      while index < bytes.count {
        switch bytes[index] {
        case UInt8(ascii: "\\"): index += 2
        case UInt8(ascii: "\""):
          index += 1
          return true
        default: index += 1
        }
      }
      return false
    }
    func skipValue() -> Bool {
      guard index < bytes.count else { return false }
      switch bytes[index] {
      case UInt8(ascii: "\""):
        return skipString()
      case UInt8(ascii: "{"), UInt8(ascii: "["):
        var depth = 0
        while index < bytes.count {
          switch bytes[index] {
          case UInt8(ascii: "\""):
            guard skipString() else { return false }
            continue
          case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
          case UInt8(ascii: "}"), UInt8(ascii: "]"):
            depth -= 1
            if depth == 0 {
              index += 1
              return true
            }
          default: break
          }
          index += 1
        }
        return false
      default:
        while index < bytes.count, !",}] \t\r\n".utf8.contains(bytes[index]) { index += 1 }
        return index < bytes.count
      }
    }
    skipSpace()
    guard index < bytes.count, bytes[index] == UInt8(ascii: "{") else { return nil }
    index += 1
    while true {
      skipSpace()
      guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return nil }
      let keyStart = index
      guard skipString() else { return nil }
      let key = bytes[keyStart..<index]
      skipSpace()
      guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return nil }
      index += 1
      skipSpace()
      let valueStart = index
      guard skipValue() else { return nil }
      if key.elementsEqual(#""id""#.utf8) {
        let value = bytes[valueStart..<index]
        guard let first = value.first,
          first == UInt8(ascii: "\"") || first == UInt8(ascii: "-")
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first)
        else { return nil }
        return Data(value)
      }
      skipSpace()
      guard index < bytes.count, bytes[index] == UInt8(ascii: ",") else { return nil }
      index += 1
    }
  }
}
