import Foundation
import PluginKit
import PluginSupport

/// The Docker Engine API (v1.41) on its unix socket: JSON calls with engine errors turned
/// into PluginErrors, and an unreachable engine reported with the socket and a remedy.
struct DockerEngine: Sendable {
  static let apiVersion = "v1.41"
  let socket: String
  let http: HTTPClient

  init(socket: String) {
    self.socket = socket
    http = HTTPClient(unixSocket: socket, connectTimeoutSeconds: 5)
  }

  /// goldfish.yaml's docker.socket, else $DOCKER_HOST when it is a unix:// address, else
  /// the engine's usual socket.
  static func socket(
    configured: String?, environment: [String: String] = ProcessInfo.processInfo.environment
  )
    throws(PluginError) -> String
  {
    if let configured, !configured.isEmpty {
      guard configured.hasPrefix("/") else {
        throw PluginError(.invalidArgument, "docker.socket must be an absolute path, got \(configured)")
      }
      return configured
    }
    if let host = environment["DOCKER_HOST"], host.hasPrefix("unix://") {
      return String(host.dropFirst("unix://".count))
    }
    return "/var/run/docker.sock"
  }

  func url(_ path: String) -> String { "http://docker/\(Self.apiVersion)\(path)" }

  /// Sends a request and returns the response when its status is in `accept`.
  @discardableResult
  func request(
    _ method: String, _ path: String, json: JSONValue? = nil, accept: Set<Int> = [200, 201, 204],
    timeoutSeconds: Int? = 60
  ) throws(PluginError) -> HTTPResponse {
    let request =
      if let json {
        try HTTPRequest.json(method, url(path), json, timeoutSeconds: timeoutSeconds)
      } else {
        HTTPRequest(method, url(path), timeoutSeconds: timeoutSeconds)
      }
    let response = try send(request)
    guard accept.contains(response.status) else { throw engineError(response, method: method, path: path) }
    return response
  }

  /// Streams the response body to `onBody`; used for logs and builds.
  func stream(_ request: HTTPRequest, onBody: (UnsafeRawBufferPointer) -> Bool) throws(PluginError) -> HTTPResponse {
    do {
      return try http.stream(request, onBody: onBody)
    } catch {
      throw reachability(error)
    }
  }

  func send(_ request: HTTPRequest) throws(PluginError) -> HTTPResponse {
    do {
      return try http.send(request)
    } catch {
      throw reachability(error)
    }
  }

  /// Names the socket and how to get an engine when nothing answers there.
  private func reachability(_ error: PluginError) -> PluginError {
    guard error.code == .unavailable else { return error }
    var detail = error.detail
    detail["socket"] = .string(socket)
    detail["hint"] = .string(
      "start an engine on that socket (e.g. `dockerd -H unix://\(socket) --bridge=none --iptables=false`"
        + " or scripts/docker-engine.sh start), or point docker.socket in goldfish.yaml or DOCKER_HOST at a running one"
    )
    return PluginError(
      .unavailable,
      "the Docker engine is not reachable on \(socket): \(error.message). Start dockerd on that socket, "
        + "or set docker.socket in goldfish.yaml (or DOCKER_HOST) to the socket of a running engine",
      detail: detail)
  }

  func engineError(_ response: HTTPResponse, method: String, path: String) -> PluginError {
    let message = (try? response.json())?["message"]?.stringValue ?? response.text
    let code: ErrorCode =
      switch response.status {
      case 400: .invalidArgument
      case 401, 403: .permissionDenied
      case 404: .notFound
      case 409: .conflict
      default: .unavailable
      }
    return PluginError(
      code, "the Docker engine refused \(method) \(path) (\(response.status)): \(message)",
      detail: ["status": .int(Int64(response.status)), "socket": .string(socket)])
  }
}

extension String {
  /// Percent-encodes a query parameter value.
  var queryEscaped: String {
    addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? self
  }
}
