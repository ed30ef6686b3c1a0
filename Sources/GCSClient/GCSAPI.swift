import PluginKit
import PluginSupport

/// The JSON API's URLs, auth and error mapping. Every call here is retried by the policy;
/// transfers (Upload.swift, Download.swift) drive their own resumption around it.
public struct GCSAPI: Sendable {
  public let settings: GCSSettings
  public let credentials: Credentials
  public let http = HTTPClient()

  public init(settings: GCSSettings, credentials: Credentials) {
    self.settings = settings
    self.credentials = credentials
  }

  public var bucketURL: String { settings.endpoint + "/storage/v1/b/" + Self.encode(settings.bucket) }
  public func objectURL(_ name: String) -> String { bucketURL + "/o/" + Self.encode(name) }
  public func uploadURL(_ type: String, _ name: String) -> String {
    settings.endpoint + "/upload/storage/v1/b/" + Self.encode(settings.bucket) + "/o?uploadType=" + type
      + "&name=" + Self.encode(name)
  }

  /// A request with the current bearer token (if any) added, and stall detection.
  public func authorized(_ request: HTTPRequest) throws(PluginError) -> HTTPRequest {
    var request = request
    request.stallSeconds = request.stallSeconds ?? settings.stallSeconds
    if let header = try credentials.header() { request.headers.append(header) }
    return request
  }

  /// Sends a small request, retrying what may succeed later, and maps failures.
  public func send(_ what: String, _ request: HTTPRequest, allow: Set<Int> = []) throws(PluginError) -> HTTPResponse {
    try settings.retry.run(what) { (_: Int) throws(PluginError) -> HTTPResponse in
      let response = try http.send(try authorized(request))
      if response.isSuccess || allow.contains(response.status) { return response }
      throw Self.error(status: response.status, body: response.text, what: what)
    }
  }

  /// Maps an HTTP failure to the ABI's error codes; retryable only where waiting helps.
  public static func error(status: Int, body: String, what: String) -> PluginError {
    let reason = errorMessage(body) ?? String(body.prefix(300))
    let detail: [String: JSONValue] = ["http_status": .int(Int64(status))]
    let text = "\(what) failed with HTTP \(status)\(reason.isEmpty ? "" : ": " + reason)"
    switch status {
    case 400: return PluginError(.invalidArgument, text, detail: detail)
    case 401: return PluginError(.unauthenticated, text + " (the credentials were refused)", detail: detail)
    case 403:
      return PluginError(
        .permissionDenied, text + " (the credentials lack permission on this bucket or object)", detail: detail)
    case 404: return PluginError(.notFound, text, detail: detail)
    case 408: return PluginError(.timeout, text, retryable: true, detail: detail)
    case 409, 412: return PluginError(.conflict, text, detail: detail)
    case 429: return PluginError(.quota, text, retryable: true, detail: detail)
    case 500...599: return PluginError(.unavailable, text, retryable: true, detail: detail)
    default: return PluginError(.internal, text, detail: detail)
    }
  }

  /// The `error.message` of a JSON API error document.
  private static func errorMessage(_ body: String) -> String? {
    guard let json = try? JSONCoding.parse(body) else { return nil }
    return json["error"]?["message"]?.stringValue
  }

  /// Percent-encodes everything but RFC 3986 unreserved characters ('/' too: object names
  /// are one path segment in the JSON API).
  public static func encode(_ text: String) -> String {
    var out = ""
    for byte in text.utf8 {
      let c = Character(UnicodeScalar(byte))
      if c.isASCII && (c.isLetter || c.isNumber || "-._~".contains(c)) {
        out.append(c)
      } else {
        out += "%" + String(byte, radix: 16, uppercase: true).leftPadded()
      }
    }
    return out
  }
}

extension String {
  fileprivate func leftPadded() -> String { count == 1 ? "0" + self : self }
}

/// Object metadata as the JSON API returns it.
public struct GCSObject: Sendable {
  public var name: String
  public var size: Int64
  public var crc32c: String?
  public var md5: String?
  public var etag: String?
  public var updated: String?
  public var generation: String?

  public init(_ json: JSONValue) throws(PluginError) {
    guard let name = json["name"]?.stringValue else {
      throw PluginError(.internal, "the storage answered with an object without a name: \(json)")
    }
    self.name = name
    // The JSON API sends size as a decimal string (64-bit values do not fit a JSON double).
    size = json["size"]?.stringValue.flatMap { Int64($0) } ?? json["size"]?.intValue ?? 0
    crc32c = json["crc32c"]?.stringValue
    md5 = json["md5Hash"]?.stringValue
    etag = json["etag"]?.stringValue
    updated = json["updated"]?.stringValue
    generation = json["generation"]?.stringValue ?? json["generation"]?.intValue.map { String($0) }
  }

  public var info: ObjectInfo {
    var hash: [String: String] = [:]
    if let crc32c { hash["crc32c"] = crc32c }
    if let md5 { hash["md5"] = md5 }
    return ObjectInfo(size: size, hash: hash, etag: etag, updatedAt: updated)
  }
}
