import PluginKit

/// One HTTP request for `HTTPClient`. The body is streamed: a file or a reader is pulled
/// chunk by chunk as libcurl sends, so a large upload never sits in memory whole.
public struct HTTPRequest: Sendable {
  public enum Body: Sendable {
    case none
    case bytes([UInt8])
    /// Streams the file at this path; its size is sent as Content-Length.
    case file(String)
    /// A reader whose length is known up front: sent with Content-Length, not chunked
    /// (a slice of a file, such as one chunk of a resumable upload).
    case sized(Int64, @Sendable (UnsafeMutableRawBufferPointer) throws(PluginError) -> Int)
    /// Fills the buffer and returns how many bytes it wrote; 0 ends the body. Sent chunked.
    case reader(@Sendable (UnsafeMutableRawBufferPointer) throws(PluginError) -> Int)
  }

  public var method: String
  /// Absolute URL. Over a unix socket the host part is ignored, e.g. http://docker/v1.41/_ping.
  public var url: String
  public var headers: [(String, String)]
  public var body: Body
  /// Whole-transfer limit; nil means no limit (long streams such as builds).
  public var timeoutSeconds: Int?
  /// Abort when less than one byte a second moves for this long: a long transfer with no
  /// overall limit still notices a connection that silently stalled.
  public var stallSeconds: Int?

  public init(
    _ method: String, _ url: String, headers: [(String, String)] = [], body: Body = .none,
    timeoutSeconds: Int? = 60
  ) {
    self.method = method
    self.url = url
    self.headers = headers
    self.body = body
    self.timeoutSeconds = timeoutSeconds
  }

  /// A JSON body with its content type.
  public static func json(
    _ method: String, _ url: String, _ value: JSONValue, timeoutSeconds: Int? = 60
  )
    throws(PluginError) -> HTTPRequest
  {
    HTTPRequest(
      method, url, headers: [("Content-Type", "application/json")],
      body: .bytes(Array(try JSONCoding.encode(value).utf8)), timeoutSeconds: timeoutSeconds)
  }
}

/// Status and headers, and the body unless it was streamed to a callback.
public struct HTTPResponse: Sendable {
  public var status: Int
  /// Header names in lower case; a repeated header keeps its last value.
  public var headers: [String: String]
  public var body: [UInt8]

  public var text: String { String(decoding: body, as: UTF8.self) }
  public var isSuccess: Bool { (200..<300).contains(status) }

  public func json() throws(PluginError) -> JSONValue { try JSONCoding.parse(text) }
}
