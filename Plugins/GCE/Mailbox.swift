import GCSClient
import PluginKit
import PluginSupport

/// The job mailbox in Cloud Storage (docs/warm-pool.md): `gs://<bucket>/<prefix>/`. Paths of
/// a run always come from that run's id and contain exactly one `runs/` segment (#6).
struct Mailbox: Sendable {
  let api: GCSAPI

  init(settings: GCESettings) throws(PluginError) {
    guard settings.bucket != nil else {
      // Without a bucket every path would read gs://None/... (#33).
      throw PluginError(
        .invalidArgument,
        "the gce backend needs a Cloud Storage bucket for its job mailbox: set gcs.bucket (with storage.backend: gcs) or gce.gcs_bucket in goldfish.yaml",
        detail: ["key": "gce.gcs_bucket"])
    }
    let storage = try GCSSettings(config: settings.storageConfig)
    api = GCSAPI(settings: storage, credentials: try Credentials(settings: storage))
  }

  /// `gs://<bucket>/<prefix>` without a trailing slash, as agents are configured with it.
  var root: String {
    var prefix = api.settings.prefix
    if prefix.hasSuffix("/") { prefix.removeLast() }
    return "gs://" + api.settings.bucket + (prefix.isEmpty ? "" : "/" + prefix)
  }

  func uri(_ key: String) -> String { "gs://" + api.settings.bucket + "/" + objectName(key) }
  func objectName(_ key: String) -> String { api.settings.prefix + key }

  /// Records go up as octet-stream even when they are JSON: gcp-storage-emulator parses an
  /// application/json media body as metadata and drops the connection; GCS does not care.
  func put(_ key: String, bytes: [UInt8], contentType: String = "application/octet-stream") throws(PluginError) {
    _ = try api.upload(name: objectName(key), source: .memory(bytes), contentType: contentType)
  }

  func put<T: Encodable>(_ key: String, json: T) throws(PluginError) {
    try put(key, bytes: Array(try JSONCoding.encode(json).utf8))
  }

  func putFile(_ key: String, path: String, contentType: String = "application/octet-stream") throws(PluginError) {
    _ = try api.upload(name: objectName(key), source: try .file(path), contentType: contentType)
  }

  /// The object's metadata, or nil when it does not exist.
  func stat(_ key: String) throws(PluginError) -> GCSObject? {
    let response = try api.send("stat of \(uri(key))", HTTPRequest("GET", api.objectURL(objectName(key))), allow: [404])
    return response.status == 404 ? nil : try GCSObject(try response.json())
  }

  /// The whole object, or nil when it does not exist.
  func get(_ key: String) throws(PluginError) -> [UInt8]? {
    guard let object = try stat(key) else { return nil }
    return try read(object)
  }

  func getJSON(_ key: String) throws(PluginError) -> JSONValue? {
    guard let bytes = try get(key) else { return nil }
    return try JSONCoding.parse(String(decoding: bytes, as: UTF8.self))
  }

  func read(_ object: GCSObject) throws(PluginError) -> [UInt8] {
    var bytes: [UInt8] = []
    let sink = DownloadSink(
      write: { (chunk) throws(PluginError) in bytes += chunk },
      reset: { () throws(PluginError) in bytes.removeAll() })
    _ = try api.download(object, into: sink)
    return bytes
  }

  /// Bytes `from..<to` of an object (logs are read by offset while they grow).
  func range(_ key: String, from: Int64, to: Int64) throws(PluginError) -> [UInt8] {
    guard to > from else { return [] }
    let request = HTTPRequest(
      "GET", api.objectURL(objectName(key)) + "?alt=media", headers: [("Range", "bytes=\(from)-\(to - 1)")])
    let response = try api.send("read of \(uri(key))", request)
    // A server that ignores Range sends the whole object: cut it here.
    if response.status == 200 && Int64(response.body.count) > to - from {
      return Array(response.body[Int(from)..<min(Int(to), response.body.count)])
    }
    return response.body
  }

  func download(_ object: GCSObject, to path: String) throws(PluginError) {
    _ = try POSIXFile.atomicWrite(to: path) { (fd: Int32) throws(PluginError) -> Int64 in
      try api.download(object, into: .file(fd, path))
    }
  }

  /// Every object under `key` (a folder key ending in "/"), names relative to the mailbox root.
  func list(_ key: String) throws(PluginError) -> [GCSObject] {
    var objects: [GCSObject] = []
    var token: String?
    repeat {
      var url = api.bucketURL + "/o?prefix=" + GCSAPI.encode(objectName(key)) + "&maxResults=1000"
      if let token { url += "&pageToken=" + GCSAPI.encode(token) }
      let page = try api.send("list of \(uri(key))", HTTPRequest("GET", url)).json()
      if case .array(let items)? = page["items"] {
        for item in items { objects.append(try GCSObject(item)) }
      }
      token = page["nextPageToken"]?.stringValue
    } while token != nil
    return objects
  }

  func relativeKey(_ object: GCSObject) -> String { String(object.name.dropFirst(api.settings.prefix.count)) }

  @discardableResult
  func delete(_ key: String) throws(PluginError) -> Bool {
    let response = try api.send(
      "delete of \(uri(key))", HTTPRequest("DELETE", api.objectURL(objectName(key))), allow: [404])
    return response.status != 404
  }
}
