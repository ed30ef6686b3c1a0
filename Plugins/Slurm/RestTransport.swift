import CCurlShim
import PluginKit

#if canImport(Glibc)
  import Glibc
#endif

/// JSON over HTTP to slurmrestd through libcurl, on TCP or a unix socket. Small on purpose: a
/// request body is at most a job script, an answer at most the job list. Each call has its own
/// easy handle, so one transport serves every thread.
struct RestTransport: Sendable {
  struct Response: Sendable {
    var status: Int
    var body: [UInt8]
    var text: String { String(decoding: body, as: UTF8.self) }
  }

  /// `http://host:port` for TCP, or nil with `unixSocket` set (the host part is then ignored).
  let baseURL: String
  let unixSocket: String?
  let timeoutSeconds: Int

  /// One request. `headers` may carry the token: it is never part of an error or a log line.
  /// slurmrestd drops a connection now and then under parallel requests ("connection invalid"
  /// in its log; "Failure when receiving data from the peer" here). A request that is safe to
  /// repeat (GET, DELETE) is tried again, twice at most; a submit only when nothing was sent,
  /// so a dropped answer never submits the job twice.
  func send(
    _ method: String, _ path: String, headers: [(String, String)], body: [UInt8]? = nil
  ) throws(PluginError)
    -> Response
  {
    var attempt = 0
    while true {
      attempt += 1
      do {
        return try sendOnce(method, path, headers: headers, body: body)
      } catch {
        guard attempt < Self.attempts, Self.mayRepeat(method, after: error) else { throw error }
        PluginLog.debug("\(error.message); trying again (attempt \(attempt + 1) of \(Self.attempts))")
        usleep(UInt32(100_000 * attempt * attempt))
      }
    }
  }

  static let attempts = 3

  /// Connection failures only: an HTTP answer, even an error, is slurmrestd's word and stands.
  static func mayRepeat(_ method: String, after error: PluginError) -> Bool {
    guard let code = error.detail["curl_code"]?.intValue else { return false }
    if code == Int64(CURLE_COULDNT_CONNECT.rawValue) { return true }
    let dropped = [CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE]
      .contains { Int64($0.rawValue) == code }
    return dropped && ["GET", "HEAD", "DELETE"].contains(method)
  }

  private func sendOnce(
    _ method: String, _ path: String, headers: [(String, String)], body: [UInt8]?
  ) throws(PluginError)
    -> Response
  {
    Self.initialized.ensure()
    guard let curl = curl_easy_init() else { throw PluginError(.internal, "libcurl could not create a handle") }
    defer { curl_easy_cleanup(curl) }
    let sink = Sink(upload: body ?? [])
    let box = Unmanaged.passRetained(sink)
    defer { box.release() }
    var list: UnsafeMutablePointer<curl_slist>?
    defer { curl_slist_free_all(list) }
    for (name, value) in headers { list = curl_slist_append(list, "\(name): \(value)") }
    if body != nil {
      list = curl_slist_append(list, "Content-Type: application/json")
      list = curl_slist_append(list, "Expect:")
    }
    let url = baseURL + path
    _ = gf_curl_setopt_string(curl, CURLOPT_URL, url)
    if let unixSocket { _ = gf_curl_setopt_string(curl, CURLOPT_UNIX_SOCKET_PATH, unixSocket) }
    _ = gf_curl_setopt_string(curl, CURLOPT_CUSTOMREQUEST, method)
    _ = gf_curl_setopt_long(curl, CURLOPT_NOSIGNAL, 1)
    _ = gf_curl_setopt_long(curl, CURLOPT_CONNECTTIMEOUT, 10)
    _ = gf_curl_setopt_long(curl, CURLOPT_TIMEOUT, timeoutSeconds)
    _ = gf_curl_setopt_data_fn(curl, CURLOPT_WRITEFUNCTION, restWrite)
    _ = gf_curl_setopt_pointer(curl, CURLOPT_WRITEDATA, box.toOpaque())
    if let body {
      _ = gf_curl_setopt_long(curl, CURLOPT_UPLOAD, 1)
      _ = gf_curl_setopt_off(curl, CURLOPT_INFILESIZE_LARGE, curl_off_t(body.count))
      _ = gf_curl_setopt_data_fn(curl, CURLOPT_READFUNCTION, restRead)
      _ = gf_curl_setopt_pointer(curl, CURLOPT_READDATA, box.toOpaque())
    }
    _ = gf_curl_setopt_slist(curl, CURLOPT_HTTPHEADER, list)
    let code = curl_easy_perform(curl)
    let target = unixSocket.map { "slurmrestd on the unix socket \($0)" } ?? "slurmrestd at \(baseURL)"
    guard code == CURLE_OK else {
      let reason = String(cString: curl_easy_strerror(code))
      let detail: [String: JSONValue] = ["url": .string(url), "curl_code": .int(Int64(code.rawValue))]
      if code == CURLE_OPERATION_TIMEDOUT {
        throw PluginError(
          .timeout, "\(method) \(path) to \(target) timed out after \(timeoutSeconds) s", detail: detail)
      }
      throw PluginError(
        .unavailable, "cannot reach \(target) (\(method) \(path)): \(reason); is slurmrestd running?", detail: detail)
    }
    var status = 0
    _ = gf_curl_getinfo_long(curl, CURLINFO_RESPONSE_CODE, &status)
    return Response(status: status, body: sink.received)
  }

  private static let initialized = CurlInit()
}

/// libcurl's global setup is not thread-safe: once, before any handle.
private final class CurlInit: Sendable {
  let ok: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK
  func ensure() { _ = ok }
}

/// What one transfer sends and receives, reached by libcurl's callbacks through their pointer.
private final class Sink {
  var upload: [UInt8]
  var sent = 0
  var received: [UInt8] = []
  init(upload: [UInt8]) { self.upload = upload }
}

private func restWrite(
  _ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ box: UnsafeMutableRawPointer?
) -> Int {
  guard let box, let data else { return 0 }
  let sink = Unmanaged<Sink>.fromOpaque(box).takeUnretainedValue()
  let length = size * count
  // An answer this large is not slurmrestd's: stop rather than fill memory.
  guard sink.received.count + length <= 256 << 20 else { return 0 }
  data.withMemoryRebound(to: UInt8.self, capacity: length) {
    sink.received.append(contentsOf: UnsafeBufferPointer(start: $0, count: length))
  }
  return length
}

private func restRead(
  _ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ box: UnsafeMutableRawPointer?
) -> Int {
  guard let box, let data else { return 0 }
  let sink = Unmanaged<Sink>.fromOpaque(box).takeUnretainedValue()
  let length = min(size * count, sink.upload.count - sink.sent)
  guard length > 0 else { return 0 }
  sink.upload.withUnsafeBufferPointer { bytes in
    guard let base = bytes.baseAddress else { return }
    UnsafeMutableRawPointer(data).copyMemory(from: base + sink.sent, byteCount: length)
  }
  sink.sent += length
  return length
}
