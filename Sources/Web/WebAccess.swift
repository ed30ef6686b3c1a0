import Foundation
import Hummingbird

/// Who may read the pages. Bound to 127.0.0.1 or ::1 (the default), the server answers only
/// requests whose Host header names that loopback address (a web page elsewhere cannot reach
/// it through DNS rebinding). Bound to any other address, or with `--require-token`, every
/// request must carry the token: `Authorization: Bearer TOKEN`, the cookie a first visit with
/// `?token=TOKEN` sets, or that query itself.
struct WebAccess<Context: RequestContext>: RouterMiddleware {
  static var cookieName: String { "goldfish_web_token" }

  let token: String?
  let hosts: HostGuard

  func handle(
    _ request: Request, context: Context, next: (Request, Context) async throws -> Response
  ) async throws
    -> Response
  {
    guard hosts.admits(request.head.authority ?? "") else {
      return WebResponse.text(
        .misdirectedRequest, "this server answers only requests addressed to it as 127.0.0.1 or localhost\n")
    }
    guard let token else { return try await next(request, context) }
    if let given = request.uri.queryParameters.get("token") {
      guard Self.same(given, token) else { return Self.refused() }
      // Trade the token in the address for a cookie, so it leaves the address bar and history.
      var response = Response(status: .seeOther, headers: [.location: request.uri.path])
      response.setCookie(
        Cookie(name: Self.cookieName, value: token, path: "/", secure: false, httpOnly: true, sameSite: .strict))
      return response
    }
    let bearer = request.headers[.authorization].flatMap { value -> String? in
      value.hasPrefix("Bearer ") ? String(value.dropFirst(7)) : nil
    }
    guard let presented = bearer ?? request.cookies[Self.cookieName]?.value, Self.same(presented, token) else {
      return Self.refused()
    }
    return try await next(request, context)
  }

  static func refused() -> Response {
    WebResponse.text(
      .unauthorized,
      "this goldfish web server requires its token: open the address it printed (…/?token=TOKEN) or send "
        + "Authorization: Bearer TOKEN; the token is in ~/.goldfish/web/token\n")
  }

  /// Compares in time independent of where the strings first differ.
  static func same(_ given: String, _ token: String) -> Bool {
    let left = Array(given.utf8)
    let right = Array(token.utf8)
    guard left.count == right.count else { return false }
    var difference: UInt8 = 0
    for index in left.indices { difference |= left[index] ^ right[index] }
    return difference == 0
  }
}
