import Foundation
import Host
import Hummingbird

/// Responses the routes answer with: JSON in the CLI's field names, HTML pages, plain text, and
/// a GoldfishError as JSON `{error: {code, message, hint}}` with the status its code means.
enum WebResponse {
  static let encoder: JSONEncoder = {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return encoder
  }()

  static func json<T: Encodable>(_ value: T) throws -> Response {
    let data = try encoder.encode(value)
    return Response(
      status: .ok, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
      body: .init(byteBuffer: ByteBuffer(bytes: data)))
  }

  static func html(_ page: String, status: HTTPResponse.Status = .ok) -> Response {
    Response(
      status: status,
      headers: [
        .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
        // Inline style and script are the page's own; nothing is loaded from anywhere else.
        .contentSecurityPolicy:
          "default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; img-src 'self' data:",
        .xContentTypeOptions: "nosniff", HeaderName.frameOptions: "DENY",
      ],
      body: .init(byteBuffer: ByteBuffer(string: page)))
  }

  static func text(_ status: HTTPResponse.Status, _ text: String) -> Response {
    Response(
      status: status, headers: [.contentType: "text/plain; charset=utf-8"],
      body: .init(byteBuffer: ByteBuffer(string: text)))
  }

  static func status(of error: GoldfishError) -> HTTPResponse.Status {
    switch error.code {
    case .notFound, .configNotFound: return .notFound
    case .invalidArgument: return .badRequest
    default: return .internalServerError
    }
  }

  static func error(_ error: GoldfishError, page: Bool) -> Response {
    if page {
      return html(
        Layout.page(
          title: "Error", crumbs: [],
          body: "<h1>\(HTML.escape(error.message))</h1>"
            + (error.hint.map { "<p class=hint>\(HTML.escape($0))</p>" } ?? "")),
        status: status(of: error))
    }
    let body: [String: [String: String?]] = [
      "error": ["code": error.code.rawValue, "message": error.message, "hint": error.hint]
    ]
    var response = (try? json(body)) ?? text(.internalServerError, error.message)
    response.status = status(of: error)
    return response
  }
}

/// Header names HTTPTypes has no constant for.
enum HeaderName {
  static let frameOptions = HTTPFields.Element.Name("X-Frame-Options")!
  static let lastEventID = HTTPFields.Element.Name("Last-Event-ID")!
}
