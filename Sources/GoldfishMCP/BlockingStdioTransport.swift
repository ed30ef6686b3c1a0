import Foundation
import Host
import Logging
import MCP

/// MCP over a pair of file descriptors with blocking I/O on a thread of its own.
///
/// The SDK's StdioTransport makes stdin non-blocking and sleeps 10 ms whenever a read finds
/// nothing, so every request waited up to 10 ms before the server saw it (a `ping` took 10 ms).
/// Here one thread sits in read(2) and hands each line over the moment it arrives.
actor BlockingStdioTransport: Transport {
  nonisolated let logger = Logger(label: "goldfish.mcp.stdio")
  private let input: Int32
  private let output: Int32
  private let messages: AsyncThrowingStream<Data, Swift.Error>
  private let continuation: AsyncThrowingStream<Data, Swift.Error>.Continuation
  private var started = false

  init(input: Int32, output: Int32) {
    self.input = input
    self.output = output
    (messages, continuation) = AsyncThrowingStream.makeStream()
  }

  func connect() async throws {
    guard !started else { return }
    started = true
    let reader = Thread { [input, continuation] in
      Self.readLines(from: input, into: continuation) { answer in
        Task { try? await self.send(answer) }
      }
    }
    reader.name = "goldfish-mcp-stdin"
    reader.start()
  }

  func disconnect() async { continuation.finish() }

  func send(_ data: Data) async throws {
    var line = WireErrorBound.bounded(data)
    line.append(UInt8(ascii: "\n"))
    try line.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) throws in
      var offset = 0
      while offset < bytes.count {
        let written = write(output, bytes.baseAddress! + offset, bytes.count - offset)
        if written < 0 {
          if errno == EINTR { continue }
          throw MCPError.transportError(POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO))
        }
        offset += written
      }
    }
  }

  func receive() -> AsyncThrowingStream<Data, Swift.Error> { messages }

  /// Newline-delimited messages until end of input; blank lines are skipped. A line over
  /// `RequestLines.defaultLimit` is answered with a JSON-RPC error through `refuse`, unread.
  private static func readLines(
    from fd: Int32, into continuation: AsyncThrowingStream<Data, Swift.Error>.Continuation,
    refuse: @escaping @Sendable (Data) -> Void
  ) {
    let size = 64 * 1024
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 1)
    defer { buffer.deallocate() }
    let limit = RequestLines.defaultLimit
    var lines = RequestLines(limit: limit)
    let emit = { (item: RequestLines.Item) in
      switch item {
      case .line(let message): continuation.yield(message)
      case .tooLong(let head, let bytes): refuse(tooLongAnswer(head: head, bytes: bytes, limit: limit))
      }
    }
    while true {
      let count = read(fd, buffer.baseAddress, size)
      if count < 0 && errno == EINTR { continue }
      if count < 0 {
        continuation.finish(throwing: MCPError.transportError(POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)))
        return
      }
      if count == 0 { break }
      lines.feed(UnsafeRawBufferPointer(rebasing: buffer[0..<count]), emit)
    }
    lines.finish(emit)
    continuation.finish()
  }

  /// JSON-RPC's "invalid request" for a line too long to read, with the request's id when its
  /// first bytes hold one (else null, as JSON-RPC says for a request whose id cannot be read).
  static func tooLongAnswer(head: Data, bytes: Int, limit: Int) -> Data {
    let message =
      "the request is \(bytes) bytes long; goldfish serve reads requests of at most \(limit) bytes"
      + " (\(limit >> 20) MB). Send large data as a file: register it as a source, or put it in the workspace."
    var answer = Data(#"{"jsonrpc":"2.0","id":"#.utf8)
    answer.append(RequestHead.id(in: head) ?? Data("null".utf8))
    answer.append(Data(#","error":{"code":-32600,"message":"#.utf8))
    answer.append((try? JSONEncoder().encode(message)) ?? Data(#""request too long""#.utf8))
    answer.append(Data("}}".utf8))
    return answer
  }
}
