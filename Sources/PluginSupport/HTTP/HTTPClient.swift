import CCurlShim
import PluginKit

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A small synchronous HTTP client over libcurl, for TCP endpoints and unix sockets (the
/// Docker engine). Each call uses its own easy handle, so one client serves many threads.
public struct HTTPClient: Sendable {
  /// When set, every request goes over this unix socket instead of TCP.
  public let unixSocket: String?
  public let connectTimeoutSeconds: Int

  public init(unixSocket: String? = nil, connectTimeoutSeconds: Int = 10) {
    self.unixSocket = unixSocket
    self.connectTimeoutSeconds = connectTimeoutSeconds
  }

  /// Sends the request and keeps the whole response body: for small answers only.
  public func send(_ request: HTTPRequest) throws(PluginError) -> HTTPResponse {
    var body: [UInt8] = []
    var response = try stream(request) { chunk in
      body.append(contentsOf: chunk)
      return true
    }
    response.body = body
    return response
  }

  /// Sends the request and hands the response body to `onBody` chunk by chunk as it
  /// arrives; returning false stops the transfer. The returned response has an empty body.
  public func stream(
    _ request: HTTPRequest, onBody: (UnsafeRawBufferPointer) -> Bool
  ) throws(PluginError)
    -> HTTPResponse
  {
    try stream(request) { (_: Int, chunk: UnsafeRawBufferPointer) in onBody(chunk) }
  }

  /// As `stream(_:onBody:)`, and `onBody` also receives the response status, so a caller
  /// streaming to a file can keep an error document out of it.
  public func stream(
    _ request: HTTPRequest, onBody: (Int, UnsafeRawBufferPointer) -> Bool
  ) throws(PluginError)
    -> HTTPResponse
  {
    CurlGlobal.ensureInitialized()
    guard let curl = curl_easy_init() else {
      throw PluginError(.internal, "libcurl could not create a handle")
    }
    defer { curl_easy_cleanup(curl) }
    return try withoutActuallyEscaping(onBody) { (onBody) throws(PluginError) -> HTTPResponse in
      let transfer = Transfer(onBody: onBody)
      let box = Unmanaged.passRetained(transfer)
      defer { box.release() }
      var headerList: UnsafeMutablePointer<curl_slist>?
      defer { curl_slist_free_all(headerList) }
      var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
      let code: CURLcode = try errorBuffer.withUnsafeMutableBufferPointer { (errors) throws(PluginError) -> CURLcode in
        try configure(curl, request, transfer: transfer, box: box.toOpaque(), headers: &headerList)
        _ = gf_curl_setopt_pointer(curl, CURLOPT_ERRORBUFFER, errors.baseAddress)
        return curl_easy_perform(curl)
      }
      if let failure = transfer.readerError { throw failure }
      guard code == CURLE_OK || (code == CURLE_WRITE_ERROR && transfer.stoppedByCaller) else {
        let detail = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        throw failure(code, detail: detail, request: request)
      }
      var status = 0
      _ = gf_curl_getinfo_long(curl, CURLINFO_RESPONSE_CODE, &status)
      return HTTPResponse(status: status, headers: transfer.headers, body: [])
    }
  }

  private func configure(
    _ curl: UnsafeMutableRawPointer, _ request: HTTPRequest, transfer: Transfer, box: UnsafeMutableRawPointer,
    headers: inout UnsafeMutablePointer<curl_slist>?
  ) throws(PluginError) {
    _ = gf_curl_setopt_string(curl, CURLOPT_URL, request.url)
    if let unixSocket { _ = gf_curl_setopt_string(curl, CURLOPT_UNIX_SOCKET_PATH, unixSocket) }
    _ = gf_curl_setopt_string(curl, CURLOPT_CUSTOMREQUEST, request.method)
    _ = gf_curl_setopt_long(curl, CURLOPT_NOSIGNAL, 1)
    _ = gf_curl_setopt_long(curl, CURLOPT_CONNECTTIMEOUT, connectTimeoutSeconds)
    _ = gf_curl_setopt_long(curl, CURLOPT_TIMEOUT, request.timeoutSeconds ?? 0)
    if let stall = request.stallSeconds {
      _ = gf_curl_setopt_long(curl, CURLOPT_LOW_SPEED_LIMIT, 1)
      _ = gf_curl_setopt_long(curl, CURLOPT_LOW_SPEED_TIME, stall)
    }
    // Bigger buffers than curl's 16 KiB / 64 KiB defaults: a callback (a checksum update and a
    // write) per 512 KiB instead of per 16 KiB is most of what a download costs beyond curl's own.
    _ = gf_curl_setopt_long(curl, CURLOPT_BUFFERSIZE, 512 * 1024)
    _ = gf_curl_setopt_long(curl, CURLOPT_UPLOAD_BUFFERSIZE, 2 * 1024 * 1024)
    _ = gf_curl_setopt_data_fn(curl, CURLOPT_WRITEFUNCTION, writeCallback)
    _ = gf_curl_setopt_pointer(curl, CURLOPT_WRITEDATA, box)
    _ = gf_curl_setopt_data_fn(curl, CURLOPT_HEADERFUNCTION, headerCallback)
    _ = gf_curl_setopt_pointer(curl, CURLOPT_HEADERDATA, box)
    var lines = request.headers.map { "\($0.0): \($0.1)" }
    switch request.body {
    case .none:
      if request.method == "HEAD" { _ = gf_curl_setopt_long(curl, CURLOPT_NOBODY, 1) }
    case .bytes(let bytes):
      transfer.reader = ByteReader(bytes).read
      _ = gf_curl_setopt_long(curl, CURLOPT_UPLOAD, 1)
      _ = gf_curl_setopt_off(curl, CURLOPT_INFILESIZE_LARGE, curl_off_t(bytes.count))
    case .file(let path):
      let file = try FileReader(path: path)
      transfer.reader = file.read
      _ = gf_curl_setopt_long(curl, CURLOPT_UPLOAD, 1)
      _ = gf_curl_setopt_off(curl, CURLOPT_INFILESIZE_LARGE, curl_off_t(file.size))
    case .sized(let size, let reader):
      transfer.reader = reader
      _ = gf_curl_setopt_long(curl, CURLOPT_UPLOAD, 1)
      _ = gf_curl_setopt_off(curl, CURLOPT_INFILESIZE_LARGE, curl_off_t(size))
    case .reader(let reader):
      transfer.reader = reader
      _ = gf_curl_setopt_long(curl, CURLOPT_UPLOAD, 1)
      lines.append("Transfer-Encoding: chunked")
    }
    if transfer.reader != nil {
      _ = gf_curl_setopt_data_fn(curl, CURLOPT_READFUNCTION, readCallback)
      _ = gf_curl_setopt_pointer(curl, CURLOPT_READDATA, box)
      // UPLOAD means PUT to libcurl; CUSTOMREQUEST above puts the real method back.
      lines.append("Expect:")
    }
    for line in lines { headers = curl_slist_append(headers, line) }
    _ = gf_curl_setopt_slist(curl, CURLOPT_HTTPHEADER, headers)
  }

  private func failure(_ code: CURLcode, detail: String, request: HTTPRequest) -> PluginError {
    let reason = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
    let target = unixSocket.map { "the unix socket \($0)" } ?? request.url
    let info: [String: JSONValue] = [
      "url": .string(request.url), "curl_code": .int(Int64(code.rawValue)),
      "socket": unixSocket.map { .string($0) } ?? .null,
    ]
    switch code {
    case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
      return PluginError(.unavailable, "cannot connect to \(target): \(reason)", detail: info)
    case CURLE_OPERATION_TIMEDOUT:
      return PluginError(.timeout, "\(request.method) \(request.url) timed out: \(reason)", detail: info)
    case CURLE_READ_ERROR:
      return PluginError(.io, "could not read the request body: \(reason)", detail: info)
    default:
      return PluginError(
        .unavailable, "\(request.method) \(request.url) over \(target) failed: \(reason)", detail: info)
    }
  }
}

/// libcurl's global setup is not thread-safe: do it once, before any handle exists.
enum CurlGlobal {
  static let initialized: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK
  static func ensureInitialized() { _ = initialized }
}
