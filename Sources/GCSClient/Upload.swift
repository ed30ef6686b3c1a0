import PluginKit
import PluginSupport

/// Uploads: one media request for objects up to a chunk, a resumable session above that.
/// Either way the CRC32C computed locally must equal the one the server stored.
extension GCSAPI {
  public func upload(name: String, source: UploadSource, contentType: String?) throws(PluginError) -> GCSObject {
    let crc = try source.crc32c()
    let type = contentType ?? "application/octet-stream"
    let stored: GCSObject
    // An empty object goes through a resumable session finished by `bytes */0`: the
    // emulator cannot take an empty media upload, and GCS accepts both.
    if source.size > 0 && source.size <= Int64(settings.chunkSize) {
      stored = try settings.retry.run("upload of \(name)") { (_: Int) throws(PluginError) -> GCSObject in
        let request = HTTPRequest(
          "POST", uploadURL("media", name), headers: [("Content-Type", type)],
          body: source.body(offset: 0, length: source.size), timeoutSeconds: nil)
        guard let object = try finished(try http.send(try authorized(request)), what: "upload of \(name)") else {
          // 308 belongs to resumable sessions; never crash the host over a confused server.
          throw PluginError(.internal, "the storage answered a media upload of \(name) with 308")
        }
        return object
      }
    } else {
      stored = try resumable(name: name, source: source, type: type, crc: crc)
    }
    guard stored.crc32c == nil || stored.crc32c == crc else {
      _ = try? send("delete of corrupted \(name)", HTTPRequest("DELETE", objectURL(name)), allow: [404])
      throw PluginError(
        .io,
        "upload of \(name) corrupted: the storage holds CRC32C \(stored.crc32c ?? "-"), the source has \(crc); "
          + "the object was deleted",
        detail: ["reason": "corrupted", "expected_crc32c": .string(crc), "stored_crc32c": .string(stored.crc32c ?? "")])
    }
    return stored
  }

  /// Chunked PUTs with Content-Range. After a dropped connection or a 5xx the session is
  /// asked how much it holds (`bytes */size`) and the upload continues from there.
  private func resumable(
    name: String, source: UploadSource, type: String, crc: String
  ) throws(PluginError)
    -> GCSObject
  {
    let what = "resumable upload of \(name)"
    let start = try HTTPRequest.json(
      "POST", uploadURL("resumable", name),
      ["name": .string(name), "crc32c": .string(crc), "contentType": .string(type)])
    var startRequest = start
    startRequest.headers += [("X-Upload-Content-Type", type), ("X-Upload-Content-Length", String(source.size))]
    let opened = try send("start of \(what)", startRequest)
    guard let session = opened.headers["location"] else {
      throw PluginError(.internal, "the storage opened a resumable upload of \(name) without a Location header")
    }
    let size = source.size
    var offset: Int64 = 0
    return try settings.retry.run(what) { (attempt: Int) throws(PluginError) -> GCSObject in
      if attempt > 0 {
        let query = HTTPRequest(
          "PUT", session, headers: [("Content-Range", "bytes */\(size)"), ("Content-Length", "0")])
        let status = try http.send(try authorized(query))
        if let done = try finished(status, what: what) { return done }
        offset = Self.committed(status)
      }
      while true {
        let length = min(Int64(settings.chunkSize), size - offset)
        let range = length > 0 ? "bytes \(offset)-\(offset + length - 1)/\(size)" : "bytes */\(size)"
        let request = HTTPRequest(
          "PUT", session, headers: [("Content-Range", range)] + (length > 0 ? [] : [("Content-Length", "0")]),
          body: length > 0 ? source.body(offset: offset, length: length) : .none, timeoutSeconds: nil)
        let response = try http.send(try authorized(request))
        if let done = try finished(response, what: what) { return done }
        offset = Self.committed(response)
      }
    }
  }

  /// The object when the response completes the upload, nil on 308 (more to send).
  private func finished(_ response: HTTPResponse, what: String) throws(PluginError) -> GCSObject? {
    if response.status == 308 { return nil }
    guard response.isSuccess else { throw Self.error(status: response.status, body: response.text, what: what) }
    return try GCSObject(try response.json())
  }

  /// The next byte to send after a 308: one past the end of its `Range: bytes=0-N`.
  private static func committed(_ response: HTTPResponse) -> Int64 {
    guard let range = response.headers["range"], let dash = range.lastIndex(of: "-"),
      let last = Int64(range[range.index(after: dash)...])
    else { return 0 }
    return last + 1
  }
}
