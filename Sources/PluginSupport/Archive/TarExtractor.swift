import PluginKit

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Unpacks a tar stream fed chunk by chunk (a container's archive API answer) into a folder:
/// regular files and folders only, each confined to the folder. Understands ustar, GNU long
/// names ('L') and pax path records ('x'), which is what the Docker engine writes. The first
/// `stripComponents` parts of every path are dropped (the engine names the copied folder).
public final class TarExtractor {
  private let destination: String
  private let stripComponents: Int
  private var buffer: [UInt8] = []
  private var fileRemaining: Int64 = 0
  private var skipRemaining: Int64 = 0
  private var padding = 0
  private var descriptor: Int32 = -1
  private var longName: String?
  private var collecting: (kind: UInt8, size: Int, bytes: [UInt8])?
  private var ended = false
  public private(set) var failure: PluginError?

  public init(into destination: String, stripComponents: Int = 0) {
    self.destination = destination
    self.stripComponents = stripComponents
  }

  deinit { if descriptor >= 0 { close(descriptor) } }

  /// Takes the next bytes; false once the archive is bad (see `failure`).
  @discardableResult
  public func feed(_ chunk: UnsafeRawBufferPointer) -> Bool {
    guard failure == nil else { return false }
    buffer.append(contentsOf: chunk)
    do {
      try drain()
    } catch {
      failure = error
      return false
    }
    return true
  }

  /// Call after the last chunk: fails when a file was cut short.
  public func finish() throws(PluginError) {
    if let failure { throw failure }
    if descriptor >= 0 || fileRemaining > 0 {
      throw PluginError(.io, "the archive ended in the middle of a file")
    }
  }

  private func drain() throws(PluginError) {
    var start = 0
    defer { buffer.removeFirst(start) }
    while start < buffer.count && !ended {
      if fileRemaining > 0 {
        let take = Int(min(Int64(buffer.count - start), fileRemaining))
        if descriptor >= 0 {
          try POSIXFile.writeAll(descriptor, Array(buffer[start..<(start + take)]), destination)
        }
        if var pending = collecting {
          pending.bytes.append(contentsOf: buffer[start..<(start + take)])
          collecting = pending
        }
        start += take
        fileRemaining -= Int64(take)
        if fileRemaining == 0 { endEntry() }
        continue
      }
      if padding > 0 {
        let take = min(buffer.count - start, padding)
        start += take
        padding -= take
        continue
      }
      guard buffer.count - start >= 512 else { return }
      let header = Array(buffer[start..<(start + 512)])
      start += 512
      try begin(header)
    }
    if ended { start = buffer.count }
  }

  private func endEntry() {
    if descriptor >= 0 {
      close(descriptor)
      descriptor = -1
    }
    if let pending = collecting {
      let text = String(decoding: pending.bytes, as: UTF8.self)
      if pending.kind == UInt8(ascii: "L") {
        longName = String(text.prefix { $0 != "\0" })
      } else {
        // pax records: "<length> <key>=<value>\n"
        for record in text.split(separator: "\n") {
          guard let space = record.firstIndex(of: " ") else { continue }
          let field = record[record.index(after: space)...]
          if field.hasPrefix("path=") { longName = String(field.dropFirst(5)) }
        }
      }
      collecting = nil
    }
    padding = Int((512 - (pending512 % 512)) % 512)
  }

  private var pending512: Int64 = 0

  private func begin(_ header: [UInt8]) throws(PluginError) {
    if header.allSatisfy({ $0 == 0 }) {
      ended = true
      return
    }
    func text(_ range: Range<Int>) -> String {
      String(decoding: header[range].prefix { $0 != 0 }, as: UTF8.self)
    }
    let size = Int64(text(124..<136).trimmingCharacters(in: " "), radix: 8) ?? 0
    let kind = header[156]
    let mode = UInt32(text(100..<108).trimmingCharacters(in: " "), radix: 8) ?? 0o644
    var name = text(0..<100)
    let prefix = text(345..<500)
    if !prefix.isEmpty { name = prefix + "/" + name }
    pending512 = size
    fileRemaining = size
    if kind == UInt8(ascii: "L") || kind == UInt8(ascii: "x") {
      collecting = (kind, Int(size), [])
      if size == 0 { endEntry() }
      return
    }
    if kind == UInt8(ascii: "g") {
      if size == 0 { endEntry() }
      return
    }
    if let long = longName {
      name = long
      longName = nil
    }
    let parts = name.split(separator: "/").map(String.init).filter { $0 != "." }
    guard !parts.contains("..") else {
      throw PluginError(.invalidArgument, "the archive entry \(name) escapes its folder")
    }
    let kept = Array(parts.dropFirst(stripComponents))
    let path = ([destination] + kept).joined(separator: "/")
    switch kind {
    case UInt8(ascii: "5"):
      try POSIXFile.makeDirectories(path)
    case UInt8(ascii: "0"), 0:
      guard !kept.isEmpty else { throw PluginError(.invalidArgument, "the archive holds a file without a name") }
      try POSIXFile.makeDirectories(POSIXFile.parent(of: path))
      descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode_t(mode & 0o777 | 0o600))
      guard descriptor >= 0 else { throw POSIXFile.error(errno, "cannot write", path) }
    default:
      break  // links and devices are not copied out of a container
    }
    if size == 0 { endEntry() }
  }
}

extension String {
  fileprivate func trimmingCharacters(in set: String) -> String {
    var scalars = Substring(self)
    while let first = scalars.first, set.contains(first) { scalars.removeFirst() }
    while let last = scalars.last, set.contains(last) { scalars.removeLast() }
    return String(scalars)
  }
}
