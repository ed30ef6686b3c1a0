/// Splits the Engine's multiplexed log stream (a non-TTY container): each frame is an
/// 8-byte header [stream, 0, 0, 0, size as big-endian UInt32] and `size` bytes of payload.
/// Frames may be cut anywhere between network chunks, so the state carries over.
public struct LogDemuxer {
  private var header: [UInt8] = []
  private var remaining = 0

  /// The payload bytes of stdout and stderr in `chunk`, in the order they were written.
  public init() {}

  public mutating func feed(_ chunk: UnsafeRawBufferPointer) -> [UInt8] {
    var output: [UInt8] = []
    output.reserveCapacity(chunk.count)
    var index = 0
    while index < chunk.count {
      if remaining > 0 {
        let take = min(remaining, chunk.count - index)
        output.append(contentsOf: chunk[index..<(index + take)])
        remaining -= take
        index += take
        continue
      }
      header.append(chunk[index])
      index += 1
      if header.count == 8 {
        remaining = Int(header[4]) << 24 | Int(header[5]) << 16 | Int(header[6]) << 8 | Int(header[7])
        header.removeAll(keepingCapacity: true)
      }
    }
    return output
  }
}
