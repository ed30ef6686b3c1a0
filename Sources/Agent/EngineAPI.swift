import Foundation
import PluginKit
import PluginSupport

/// The VM's Docker Engine API (v1.41): a unix socket on a VM (`unix:///var/run/docker.sock`),
/// or a loopback TCP address where the engine does not share the agent's files (the test
/// harness's VMs). No docker CLI is involved.
struct EngineAPI: Sendable {
  static let version = "v1.41"
  let host: String
  let http: HTTPClient
  let base: String
  /// Whether the engine sees this machine's files, so a job's folders can be bind-mounted;
  /// otherwise they travel through the archive API.
  let sharesFiles: Bool

  init(host: String) throws(PluginError) {
    self.host = host
    if host.hasPrefix("unix://") {
      http = HTTPClient(unixSocket: String(host.dropFirst("unix://".count)), connectTimeoutSeconds: 5)
      base = "http://docker/" + Self.version
      sharesFiles = true
    } else if host.hasPrefix("tcp://") {
      http = HTTPClient(connectTimeoutSeconds: 5)
      base = "http://" + host.dropFirst("tcp://".count) + "/" + Self.version
      sharesFiles = false
    } else {
      throw PluginError(
        .invalidArgument, "docker_host must be unix:///path/to/docker.sock or tcp://127.0.0.1:PORT, got \(host)")
    }
  }

  func url(_ path: String) -> String { base + path }

  @discardableResult
  func call(
    _ method: String, _ path: String, json: JSONValue? = nil, headers: [(String, String)] = [],
    accept: Set<Int> = [200, 201, 204], timeoutSeconds: Int? = 60
  ) throws(PluginError) -> HTTPResponse {
    var request = HTTPRequest(method, url(path), headers: headers, timeoutSeconds: timeoutSeconds)
    if let json {
      request.headers.append(("Content-Type", "application/json"))
      request.body = .bytes(Array(try JSONCoding.encode(json).utf8))
    }
    let response = try send(request)
    guard accept.contains(response.status) else { throw refusal(response, method, path) }
    return response
  }

  func send(_ request: HTTPRequest) throws(PluginError) -> HTTPResponse {
    do {
      return try http.send(request)
    } catch {
      throw unreachable(error)
    }
  }

  func stream(_ request: HTTPRequest, onBody: (UnsafeRawBufferPointer) -> Bool) throws(PluginError) -> HTTPResponse {
    do {
      return try http.stream(request, onBody: onBody)
    } catch {
      throw unreachable(error)
    }
  }

  /// The message a person on the VM (or reading the run's log) can act on.
  func unreachable(_ error: PluginError) -> PluginError {
    guard error.code == .unavailable else { return error }
    return PluginError(
      .unavailable,
      "no Docker engine answers at \(host) (\(error.message)): this VM cannot run containers. Boot it from an image "
        + "with Docker (the gce profiles' default, a Deep Learning VM family, has it), or set the profile's "
        + "agent_runner: process to run jobs without containers",
      detail: ["docker_host": .string(host)])
  }

  func refusal(_ response: HTTPResponse, _ method: String, _ path: String) -> PluginError {
    let message = (try? response.json())?["message"]?.stringValue ?? response.text
    let code: ErrorCode =
      switch response.status {
      case 400: .invalidArgument
      case 401, 403: .permissionDenied
      case 404: .notFound
      case 409: .conflict
      default: .unavailable
      }
    return PluginError(code, "the Docker engine refused \(method) \(path) (\(response.status)): \(message)")
  }
}
