import GCSClient
import PluginKit
import PluginSupport

/// `gcs` storage: objects in one bucket under an optional prefix, named
/// `gs://<bucket>/<prefix><key>`, over the Cloud Storage JSON API with libcurl.
/// Transfers stream in chunks and are verified by CRC32C; memory stays flat.
final class GCSStorage: ObjectStorage, @unchecked Sendable {
  static let serviceName = "gcs"
  static let capabilities = ObjectStorageCapabilities(schemes: ["gs"], local: false, hash: "crc32c", resumable: true)
    .json

  let api: GCSAPI
  var settings: GCSSettings { api.settings }
  var root: String { "gs://" + settings.bucket + "/" }

  static func checkConfig(_ config: JSONValue, context: ServiceContext) -> ConfigReport? {
    GCSSettings.report(config)
  }

  init(config: JSONValue, context: ServiceContext) throws(PluginError) {
    let settings = try GCSSettings(config: config)
    PluginLog.settingsInEffect(Self.serviceName, settings.effective)
    api = GCSAPI(settings: settings, credentials: try Credentials(settings: settings))
  }

  func uri(forKey key: String) throws(PluginError) -> String {
    try StorageKey.validate(key)
    if let slash = key.firstIndex(of: "/"), let folder = settings.kindPrefixes[String(key[..<slash])] {
      return root + settings.prefix + folder + key[key.index(after: slash)...]
    }
    return root + settings.prefix + key
  }

  /// The object name a URI of this bucket names; anything else is refused.
  private func name(_ uri: String) throws(PluginError) -> String {
    guard uri.hasPrefix(root), uri.count > root.count else {
      throw PluginError(
        .invalidArgument, "\(uri) is not an object URI of this storage (\(root))", detail: ["uri": .string(uri)])
    }
    return String(uri.dropFirst(root.count))
  }

  func putFile(uri: String, path: String, contentType: String?) throws(PluginError) -> ObjectInfo {
    try api.upload(name: try name(uri), source: try .file(path), contentType: contentType).info
  }

  func putBytes(uri: String, data: UnsafeRawBufferPointer, contentType: String?) throws(PluginError) -> ObjectInfo {
    try api.upload(name: try name(uri), source: .memory(Array(data)), contentType: contentType).info
  }

  func getFile(uri: String, path: String) throws(PluginError) -> Int64 {
    let object = try metadata(uri)
    return try POSIXFile.atomicWrite(to: path) { (fd: Int32) throws(PluginError) -> Int64 in
      try api.download(object, into: .file(fd, path))
    }
  }

  func getBytes(uri: String, maxBytes: Int) throws(PluginError) -> [UInt8] {
    let object = try metadata(uri)
    guard object.size <= Int64(maxBytes) else {
      throw PluginError(
        .invalidArgument,
        "\(uri) is \(object.size) bytes, more than max_bytes \(maxBytes); use get_file for large objects")
    }
    var bytes: [UInt8] = []
    let sink = DownloadSink(
      write: { (chunk) throws(PluginError) in bytes += chunk },
      reset: { () throws(PluginError) in bytes.removeAll() })
    _ = try api.download(object, into: sink)
    return bytes
  }

  func stat(uri: String) throws(PluginError) -> ObjectInfo {
    try metadata(uri).info
  }

  func exists(uri: String) throws(PluginError) -> Bool {
    let response = try api.send("stat of \(uri)", HTTPRequest("GET", api.objectURL(try name(uri))), allow: [404])
    return response.status != 404
  }

  /// Pages by object name: the token is the last name returned, and the next page asks for
  /// names after it (startOffset), so paging works even where maxResults is not honoured.
  func list(prefix: String, pageToken: String?, pageSize: Int) throws(PluginError) -> ObjectListing {
    guard prefix.hasPrefix(root) || root.hasPrefix(prefix) else {
      throw PluginError(.invalidArgument, "list prefix \(prefix) is outside this storage's bucket (\(root))")
    }
    let namePrefix = prefix.count > root.count ? String(prefix.dropFirst(root.count)) : ""
    let size = max(1, min(pageSize, 10000))
    var url =
      api.bucketURL + "/o?prefix=" + GCSAPI.encode(namePrefix) + "&maxResults=\(size + 1)"
      + "&fields=" + GCSAPI.encode("items(name,size),nextPageToken")
    if let pageToken { url += "&startOffset=" + GCSAPI.encode(pageToken) }
    let body = try api.send("list of \(prefix)", HTTPRequest("GET", url)).json()
    var items: [(String, Int64?)] = []
    if case .array(let values)? = body["items"] {
      for value in values {
        guard let name = value["name"]?.stringValue,
          pageToken.map({ name.utf8.lexicographicallyPrecedes($0.utf8) == false && name != $0 }) ?? true
        else { continue }
        items.append((name, value["size"]?.stringValue.flatMap { Int64($0) }))
      }
    }
    items.sort { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
    let page = Array(items.prefix(size))
    let more = items.count > size || body["nextPageToken"]?.stringValue != nil
    return ObjectListing(
      objects: page.map { ObjectListing.Entry(uri: root + $0.0, size: $0.1) },
      nextPageToken: more ? page.last?.0 : nil)
  }

  func delete(uri: String) throws(PluginError) -> Bool {
    let response = try api.send("delete of \(uri)", HTTPRequest("DELETE", api.objectURL(try name(uri))), allow: [404])
    return response.status != 404
  }

  private func metadata(_ uri: String) throws(PluginError) -> GCSObject {
    do {
      return try GCSObject(try api.send("stat of \(uri)", HTTPRequest("GET", api.objectURL(try name(uri)))).json())
    } catch  where error.code == .notFound {
      throw PluginError(.notFound, "object \(uri) does not exist", detail: ["uri": .string(uri)])
    }
  }
}
