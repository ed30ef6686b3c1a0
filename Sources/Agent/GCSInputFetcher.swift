import Foundation
import GCSClient
import PluginKit
import PluginSupport

/// Stages a `gs://bucket/name` input on a worker: one object becomes a file, a folder URI
/// (ending in "/") becomes a folder of every object below it. Credentials and endpoint come
/// the way the gcs storage finds them (STORAGE_EMULATOR_HOST, metadata server on a VM, ...).
enum GCSInputFetcher {
  static func fetch(
    _ uri: String, to destination: String, input: String, options: [String: JSONValue] = [:]
  ) throws(PluginError) {
    let path = uri.dropFirst("gs://".count)
    guard let slash = path.firstIndex(of: "/"), slash > path.startIndex else {
      throw PluginError(.invalidArgument, "input \(input): \(uri) names no object")
    }
    let bucket = String(path[..<slash])
    let name = String(path[path.index(after: slash)...])
    var config = options
    config["bucket"] = .string(bucket)
    config.removeValue(forKey: "prefix")
    let settings = try GCSSettings(config: .object(config))
    let api = GCSAPI(settings: settings, credentials: try Credentials(settings: settings))
    guard name.hasSuffix("/") || name.isEmpty else {
      try download(api, name, to: destination, uri: uri)
      return
    }
    var token: String?
    var count = 0
    repeat {
      var url = api.bucketURL + "/o?prefix=" + GCSAPI.encode(name) + "&maxResults=1000"
      if let token { url += "&pageToken=" + GCSAPI.encode(token) }
      let page = try api.send("list of \(uri)", HTTPRequest("GET", url)).json()
      for item in page["items"]?.arrayValue ?? [] {
        guard let object = item["name"]?.stringValue, object.count > name.count else { continue }
        let relative = String(object.dropFirst(name.count))
        let parts = relative.split(separator: "/", omittingEmptySubsequences: false)
        guard !parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) else { continue }
        try download(api, object, to: destination + "/" + relative, uri: "gs://\(bucket)/\(object)")
        count += 1
      }
      token = page["nextPageToken"]?.stringValue
    } while token != nil
    if count == 0 {
      throw PluginError(.notFound, "input \(input): nothing is stored under \(uri)")
    }
  }

  private static func download(_ api: GCSAPI, _ name: String, to path: String, uri: String) throws(PluginError) {
    let response = try api.send("stat of \(uri)", HTTPRequest("GET", api.objectURL(name)), allow: [404])
    guard response.status != 404 else { throw PluginError(.notFound, "\(uri) does not exist") }
    let object = try GCSObject(try response.json())
    _ = try POSIXFile.atomicWrite(to: path) { (fd: Int32) throws(PluginError) -> Int64 in
      try api.download(object, into: .file(fd, path))
    }
  }
}
