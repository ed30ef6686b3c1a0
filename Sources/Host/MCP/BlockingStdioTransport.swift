import Foundation
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
    let reader = Thread { [input, continuation] in Self.readLines(from: input, into: continuation) }
    reader.name = "goldfish-mcp-stdin"
    reader.start()
  }

  func disconnect() async { continuation.finish() }

  func send(_ data: Data) async throws {
    var line = data
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

  /// Newline-delimited messages until end of input; blank lines are skipped.
  private static func readLines(from fd: Int32, into continuation: AsyncThrowingStream<Data, Swift.Error>.Continuation)
  {
    let size = 64 * 1024
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 1)
    defer { buffer.deallocate() }
    var pending = Data()
    while true {
      let count = read(fd, buffer.baseAddress, size)
      if count < 0 && errno == EINTR { continue }
      if count < 0 {
        continuation.finish(throwing: MCPError.transportError(POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)))
        return
      }
      if count == 0 { break }
      pending.append(buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), count: count)
      var start = pending.startIndex
      while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
        if newline > start { continuation.yield(Data(pending[start..<newline])) }
        start = newline + 1
      }
      pending = Data(pending[start...])
    }
    if !pending.isEmpty { continuation.yield(pending) }
    continuation.finish()
  }
}
