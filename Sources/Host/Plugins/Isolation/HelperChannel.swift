import Foundation
import PluginKit

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// One message between goldfish and an isolated plugin's helper: a JSON header and, for
/// put_bytes and get_bytes, the raw bytes. On the wire: the header's length and the payload's
/// length (4 bytes each, big-endian), the header as UTF-8 JSON, then the payload.
struct HelperFrame: Sendable {
  var header: JSONValue
  var payload: [UInt8] = []
}

/// Frames over one end of a socketpair. Sends never raise SIGPIPE (a dead peer is an error,
/// not a signal that would end goldfish), and reads can wait with a deadline.
struct HelperChannel: Sendable {
  let fd: Int32

  static let maxHeaderBytes = 64 << 20
  static let maxPayloadBytes = Int(Int32.max)

  enum Received: Sendable {
    case frame(HelperFrame)
    /// The peer closed its end (or sent something that is not a frame).
    case closed
    case timedOut
  }

  func send(_ frame: HelperFrame) -> Bool {
    guard let text = try? JSONCoding.encode(frame.header) else { return false }
    let header = Array(text.utf8)
    var bytes = Self.bigEndian(UInt32(header.count)) + Self.bigEndian(UInt32(frame.payload.count))
    bytes += header
    return write(bytes) && write(frame.payload)
  }

  /// Waits for the next frame; `deadline` nil waits as long as it takes.
  func receive(deadline: Date?) -> Received {
    var lengths = [UInt8](repeating: 0, count: 8)
    switch read(into: &lengths, deadline: deadline) {
    case .closed: return .closed
    case .timedOut: return .timedOut
    case .frame: break
    }
    let headerLength = Int(Self.number(lengths[0..<4]))
    let payloadLength = Int(Self.number(lengths[4..<8]))
    guard headerLength <= Self.maxHeaderBytes, payloadLength <= Self.maxPayloadBytes else { return .closed }
    var header = [UInt8](repeating: 0, count: headerLength)
    var payload = [UInt8](repeating: 0, count: payloadLength)
    for result in [read(into: &header, deadline: deadline), read(into: &payload, deadline: deadline)] {
      switch result {
      case .closed: return .closed
      case .timedOut: return .timedOut
      case .frame: continue
      }
    }
    guard let value = try? JSONCoding.parse(String(decoding: header, as: UTF8.self)) else { return .closed }
    return .frame(HelperFrame(header: value, payload: payload))
  }

  private func write(_ bytes: [UInt8]) -> Bool {
    var offset = 0
    while offset < bytes.count {
      let sent = bytes.withUnsafeBytes { buffer in
        Glibc.send(fd, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
      }
      if sent < 0 {
        if errno == EINTR { continue }
        return false
      }
      offset += sent
    }
    return true
  }

  /// Fills `buffer` completely; `.frame` means it did.
  private func read(into buffer: inout [UInt8], deadline: Date?) -> Received {
    var offset = 0
    while offset < buffer.count {
      if let deadline {
        let remaining = deadline.timeIntervalSinceNow
        if remaining <= 0 { return .timedOut }
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&poller, 1, Int32(min(remaining * 1000, Double(Int32.max)).rounded(.up)))
        if ready < 0 && errno != EINTR { return .closed }
        if ready <= 0 { continue }
      }
      let count = buffer.withUnsafeMutableBytes { raw in
        recv(fd, raw.baseAddress! + offset, raw.count - offset, 0)
      }
      if count == 0 { return .closed }
      if count < 0 {
        if errno == EINTR { continue }
        return .closed
      }
      offset += count
    }
    return .frame(HelperFrame(header: .null))
  }

  private static func bigEndian(_ value: UInt32) -> [UInt8] {
    [UInt8(value >> 24 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
  }

  private static func number(_ bytes: ArraySlice<UInt8>) -> UInt32 {
    bytes.reduce(0) { $0 << 8 | UInt32($1) }
  }
}
