import PluginKit

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The state of one transfer that libcurl's C callbacks reach through their userdata pointer.
/// Lives only for the duration of one `curl_easy_perform` on one thread.
final class Transfer {
  let onBody: (Int, UnsafeRawBufferPointer) -> Bool
  var reader: ((UnsafeMutableRawBufferPointer) throws(PluginError) -> Int)?
  var readerError: PluginError?
  var headers: [String: String] = [:]
  /// The status of the response being received, parsed from its status line, so a body
  /// callback can tell an error document from the payload before it writes anything.
  var status = 0
  var stoppedByCaller = false

  init(onBody: @escaping (Int, UnsafeRawBufferPointer) -> Bool) {
    self.onBody = onBody
  }
}

func writeCallback(
  _ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ box: UnsafeMutableRawPointer?
)
  -> Int
{
  guard let box else { return 0 }
  let transfer = Unmanaged<Transfer>.fromOpaque(box).takeUnretainedValue()
  let length = size * count
  guard length > 0, let data else { return length }
  if transfer.onBody(transfer.status, UnsafeRawBufferPointer(start: data, count: length)) { return length }
  transfer.stoppedByCaller = true
  return 0
}

func headerCallback(
  _ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ box: UnsafeMutableRawPointer?
)
  -> Int
{
  let length = size * count
  guard let box, let data else { return length }
  let transfer = Unmanaged<Transfer>.fromOpaque(box).takeUnretainedValue()
  let line = String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
  if line.hasPrefix("HTTP/") {
    transfer.headers = [:]  // a new response (after 100 Continue or a redirect)
    let fields = line.split(separator: " ")
    if fields.count >= 2, let code = Int(fields[1]) { transfer.status = code }
  } else if let colon = line.firstIndex(of: ":") {
    let name = line[..<colon].lowercased()
    let value = line[line.index(after: colon)...].trimmingCharacters(in: " \t\r\n")
    transfer.headers[name] = value
  }
  return length
}

// CURL_READFUNC_ABORT
private let readAbort = 0x1000_0000

func readCallback(
  _ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ box: UnsafeMutableRawPointer?
)
  -> Int
{
  guard let box, let data else { return readAbort }
  let transfer = Unmanaged<Transfer>.fromOpaque(box).takeUnretainedValue()
  guard let reader = transfer.reader else { return 0 }
  do {
    return try reader(UnsafeMutableRawBufferPointer(start: data, count: size * count))
  } catch {
    transfer.readerError = error
    return readAbort
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

extension Substring {
  fileprivate func trimmingCharacters(in set: String) -> String { String(self).trimmingCharacters(in: set) }
}

/// Feeds an in-memory body to libcurl.
final class ByteReader {
  let bytes: [UInt8]
  var position = 0
  init(_ bytes: [UInt8]) { self.bytes = bytes }

  func read(_ buffer: UnsafeMutableRawBufferPointer) -> Int {
    let count = min(buffer.count, bytes.count - position)
    guard count > 0 else { return 0 }
    bytes.withUnsafeBytes { source in
      buffer.baseAddress!.copyMemory(from: source.baseAddress! + position, byteCount: count)
    }
    position += count
    return count
  }
}

/// Streams a file to libcurl; closes it when the transfer is done with it.
final class FileReader {
  let path: String
  let fd: Int32
  let size: Int64

  init(path: String) throws(PluginError) {
    self.path = path
    fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw POSIXFile.error(errno, "cannot open the request body", path) }
    var info = stat()
    fstat(fd, &info)
    size = Int64(info.st_size)
  }

  deinit { close(fd) }

  func read(_ buffer: UnsafeMutableRawBufferPointer) throws(PluginError) -> Int {
    while true {
      let got = systemRead(fd, buffer.baseAddress, buffer.count)
      if got >= 0 { return got }
      if errno != EINTR { throw POSIXFile.error(errno, "cannot read the request body", path) }
    }
  }
}

#if canImport(Glibc)
  private let systemRead = Glibc.read
#else
  private let systemRead = Darwin.read
#endif
