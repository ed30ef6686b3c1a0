import PluginKit
import PluginSupport

#if canImport(Glibc)
  import Glibc
#endif

/// Where downloaded bytes go: a file descriptor or memory. `reset` starts over when a
/// server answers a ranged request with the whole object.
public struct DownloadSink {
  public var write: (UnsafeRawBufferPointer) throws(PluginError) -> Void
  public var reset: () throws(PluginError) -> Void

  public init(
    write: @escaping (UnsafeRawBufferPointer) throws(PluginError) -> Void,
    reset: @escaping () throws(PluginError) -> Void
  ) {
    self.write = write
    self.reset = reset
  }

  public static func file(_ fd: Int32, _ path: String) -> DownloadSink {
    DownloadSink(
      write: { (chunk) throws(PluginError) in try POSIXFile.writeAll(fd, chunk, path) },
      reset: { () throws(PluginError) in
        guard ftruncate(fd, 0) == 0, lseek(fd, 0, SEEK_SET) == 0 else {
          throw POSIXFile.error(errno, "cannot rewind", path)
        }
      })
  }
}

extension GCSAPI {
  /// Streams one generation of an object into `sink`. A dropped connection resumes with a
  /// Range request from the last byte received; the CRC32C runs over the bytes as they pass
  /// and must equal the object's metadata at the end.
  public func download(_ object: GCSObject, into sink: DownloadSink) throws(PluginError) -> Int64 {
    let what = "download of \(object.name)"
    var url = objectURL(object.name) + "?alt=media"
    if let generation = object.generation { url += "&generation=" + generation }
    var offset: Int64 = 0
    var crc = CRC32C()
    if object.size > 0 {
      try settings.retry.run(what) { (_: Int) throws(PluginError) in
        var request = HTTPRequest("GET", url, timeoutSeconds: nil)
        if offset > 0 { request.headers.append(("Range", "bytes=\(offset)-")) }
        var sinkError: PluginError?
        var errorBody: [UInt8] = []
        var first = true
        let response = try http.stream(try authorized(request)) {
          (status: Int, chunk: UnsafeRawBufferPointer) -> Bool in
          guard status == 200 || status == 206 else {
            if errorBody.count < 8192 { errorBody += chunk }
            return true
          }
          do throws(PluginError) {
            if first && status == 200 && offset > 0 {
              try sink.reset()  // the server ignored Range: this body is the whole object
              offset = 0
              crc = CRC32C()
            }
            first = false
            try sink.write(chunk)
          } catch {
            sinkError = error
            return false
          }
          crc.update(chunk)
          offset += Int64(chunk.count)
          return true
        }
        if let sinkError { throw sinkError }
        guard response.status == 200 || response.status == 206 else {
          throw Self.error(status: response.status, body: String(decoding: errorBody, as: UTF8.self), what: what)
        }
        guard offset >= object.size else {
          throw PluginError(
            .unavailable, "\(what) ended after \(offset) of \(object.size) bytes", retryable: true)
        }
      }
    }
    guard offset == object.size else {
      throw corrupted(object, "\(offset) bytes arrived, the object has \(object.size)")
    }
    if let expected = object.crc32c, expected != crc.base64 {
      throw corrupted(object, "the bytes have CRC32C \(crc.base64), the object's metadata says \(expected)")
    }
    return offset
  }

  private func corrupted(_ object: GCSObject, _ why: String) -> PluginError {
    PluginError(
      .io, "download of gs://\(settings.bucket)/\(object.name) corrupted: \(why); nothing was written",
      detail: ["reason": "corrupted", "object": .string(object.name)])
  }
}
