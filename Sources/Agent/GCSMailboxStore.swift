import GCSClient
import PluginKit
import PluginSupport

/// A mailbox in Cloud Storage, `gs://bucket/prefix`: the store of an agent on a GCE VM (or
/// one pointed at the storage emulator through STORAGE_EMULATOR_HOST or `endpoint`).
struct GCSMailboxStore: MailboxStore {
  let rootURI: String
  let api: GCSAPI

  static func register() {
    MailboxStores.register(scheme: "gs") { (uri, options) throws(PluginError) in
      try GCSMailboxStore(uri: uri, options: options)
    }
  }

  init(uri: String, options: [String: JSONValue]) throws(PluginError) {
    guard uri.hasPrefix("gs://") else {
      throw PluginError(.invalidArgument, "a Cloud Storage mailbox URI looks like gs://bucket/prefix, got \(uri)")
    }
    let path = uri.dropFirst(5).split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    guard let bucket = path.first else { throw PluginError(.invalidArgument, "the mailbox URI \(uri) names no bucket") }
    var config = options
    config["bucket"] = .string(bucket)
    config["prefix"] = .string(path.dropFirst().joined(separator: "/"))
    let settings = try GCSSettings(config: .object(config))
    api = GCSAPI(settings: settings, credentials: try Credentials(settings: settings))
    rootURI = "gs://" + path.joined(separator: "/")
  }

  private func name(_ key: String) throws(PluginError) -> String {
    try StorageKey.validate(key)
    return api.settings.prefix + key
  }

  private func stat(_ key: String) throws(PluginError) -> GCSObject? {
    let response = try api.send("stat of \(key)", HTTPRequest("GET", api.objectURL(try name(key))), allow: [404])
    return response.status == 404 ? nil : try GCSObject(try response.json())
  }

  func get(_ key: String) throws(PluginError) -> [UInt8]? {
    guard let object = try stat(key) else { return nil }
    var bytes: [UInt8] = []
    let sink = DownloadSink(
      write: { (chunk) throws(PluginError) in bytes += chunk },
      reset: { () throws(PluginError) in bytes = [] })
    do {
      _ = try api.download(object, into: sink)
    } catch  where error.code == .notFound {
      return nil
    }
    return bytes
  }

  func put(_ key: String, _ bytes: [UInt8]) throws(PluginError) {
    // octet-stream: the storage emulator reads an application/json media body as metadata.
    _ = try api.upload(name: try name(key), source: .memory(bytes), contentType: "application/octet-stream")
  }

  func delete(_ key: String) throws(PluginError) {
    _ = try api.send("delete of \(key)", HTTPRequest("DELETE", api.objectURL(try name(key))), allow: [404])
  }

  /// Pages by name (startOffset after the last name seen), which works where page tokens do not.
  func list(_ folder: String) throws(PluginError) -> [String] {
    let prefix = try name(folder) + "/"
    var keys: [String] = []
    var after: String?
    while true {
      var url =
        api.bucketURL + "/o?prefix=" + GCSAPI.encode(prefix) + "&maxResults=1000"
        + "&fields=" + GCSAPI.encode("items(name),nextPageToken")
      if let after { url += "&startOffset=" + GCSAPI.encode(after) }
      let body = try api.send("list of \(folder)", HTTPRequest("GET", url)).json()
      let names = (body["items"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        .filter { $0.hasPrefix(prefix) && $0 != after }
      keys += names.map { String($0.dropFirst(api.settings.prefix.count)) }
      guard body["nextPageToken"]?.stringValue != nil, let last = names.max() else { break }
      after = last
    }
    return Array(Set(keys)).sorted()
  }

  func putFile(_ key: String, from path: String) throws(PluginError) {
    _ = try api.upload(name: try name(key), source: try .file(path), contentType: "application/octet-stream")
  }

  func getFile(_ key: String, to path: String) throws(PluginError) {
    guard let object = try stat(key) else { throw PluginError(.notFound, "\(rootURI)/\(key) does not exist") }
    try POSIXFile.atomicWrite(to: path, mode: 0o644) { (fd: Int32) throws(PluginError) in
      _ = try api.download(object, into: .file(fd, path))
    }
  }

  func localPath(_ key: String) throws(PluginError) -> String? { nil }
}
