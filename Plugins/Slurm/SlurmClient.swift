import Foundation
import PluginKit

/// slurmrestd's job API: the OpenAPI version negotiated once per instance from what the server
/// lists, both auth headers on every request, and Slurm's way of failing (HTTP 500 with an
/// `errors` list, even for an unknown job or a bad token) turned into the ABI's error codes.
final class SlurmClient: @unchecked Sendable {
  let settings: SlurmSettings
  let transport: RestTransport
  private let lock = NSLock()
  private var negotiated: String?
  private var cachedToken: (value: String, until: Date)?

  init(settings: SlurmSettings) {
    self.settings = settings
    switch settings.endpoint {
    case .tcp(let base):
      transport = RestTransport(baseURL: base, unixSocket: nil, timeoutSeconds: settings.requestTimeout)
    case .unixSocket(let path):
      transport = RestTransport(baseURL: "http://localhost", unixSocket: path, timeoutSeconds: settings.requestTimeout)
    }
  }

  /// Both headers, or none: slurmrestd refuses a token without a user name (and the user
  /// without a token). Over a unix socket (local auth) only a token the user named is sent.
  func authHeaders() throws(PluginError) -> [(String, String)] {
    if case .unixSocket = settings.endpoint, !settings.token.isExplicit { return [] }
    guard let token = try currentToken() else { return [] }
    guard let user = settings.user else {
      throw SlurmSettings.invalid("user", "is missing: JWT auth sends X-SLURM-USER-NAME with the token")
    }
    return [("X-SLURM-USER-NAME", user), ("X-SLURM-USER-TOKEN", token)]
  }

  private func currentToken() throws(PluginError) -> String? {
    guard case .command(_, let ttl) = settings.token else { return try settings.token.read() }
    lock.lock()
    if let cached = cachedToken, cached.until > Date() {
      lock.unlock()
      return cached.value
    }
    lock.unlock()
    let token = try settings.token.read()
    lock.lock()
    cachedToken = token.map { ($0, Date().addingTimeInterval(TimeInterval(ttl))) }
    lock.unlock()
    return token
  }

  /// The OpenAPI version in use, asked once: `/openapi/v3` lists every path the server serves.
  func version() throws(PluginError) -> String {
    lock.lock()
    if let negotiated {
      lock.unlock()
      return negotiated
    }
    lock.unlock()
    let response = try transport.send("GET", "/openapi/v3", headers: try authHeaders())
    let offered: [String]
    if response.status == 200, let document = try? JSONCoding.parse(response.text),
      let paths = document["paths"]?.objectValue
    {
      offered = SlurmDialect.offered(byPaths: Array(paths.keys))
    } else if response.status == 401 {
      throw unauthenticated(response)
    } else if response.status != 404 {
      throw PluginError(
        .unavailable,
        "slurmrestd answered GET /openapi/v3 with HTTP \(response.status): \(String(response.text.prefix(300)))")
    } else {
      // Older servers without the document: ask each version this plugin speaks.
      let headers = try authHeaders()
      var answering: [String] = []
      for version in SlurmDialect.supported
      where try transport.send("GET", "/slurm/\(version)/ping", headers: headers).status == 200 {
        answering.append(version)
      }
      offered = answering
    }
    let chosen = try SlurmDialect.choose(offered: offered, pinned: settings.apiVersion)
    lock.lock()
    negotiated = chosen
    lock.unlock()
    PluginLog.debug("slurmrestd offers \(offered.joined(separator: ", ")); using \(chosen)")
    return chosen
  }

  /// A request under `/slurm/<version>`; the answer's JSON. `errors` in a 200 answer is left to
  /// the caller (a submit that answers a job id and an error is still a failed launch).
  func call(_ method: String, _ path: String, body: JSONValue? = nil) throws(PluginError) -> JSONValue {
    let version = try version()
    let bytes = try body.map { (value: JSONValue) throws(PluginError) -> [UInt8] in
      Array(try JSONCoding.encode(value).utf8)
    }
    let response = try transport.send(method, "/slurm/\(version)" + path, headers: try authHeaders(), body: bytes)
    let document = (try? JSONCoding.parse(response.text)) ?? .null
    switch response.status {
    case 200..<300:
      guard document.objectValue != nil else {
        throw PluginError(.unavailable, "slurmrestd answered \(method) \(path) with something that is not JSON")
      }
      return document
    case 401:
      throw unauthenticated(response)
    default:
      let errors = Self.errors(in: document)
      if errors.contains(where: { $0.number == 2017 }) {
        throw PluginError(.notFound, "Slurm does not know this job: \(Self.describe(errors))")
      }
      if errors.contains(where: { $0.number == 2000 }) {
        throw PluginError(.invalidArgument, "Slurm refused the job: \(Self.describe(errors))")
      }
      let text = errors.isEmpty ? String(response.text.prefix(300)) : Self.describe(errors)
      // slurmrestd answers a bad or expired token with 500 and an unspecific error, never 401.
      let authHint =
        errors.contains { $0.number == 5005 || $0.text.contains("Unspecified error") }
        ? "; a bad or expired token also answers this way: check slurm.user and the token" : ""
      throw PluginError(
        response.status >= 500 ? .unavailable : .invalidArgument,
        "slurmrestd answered \(method) \(path) with HTTP \(response.status): \(text)\(authHint)",
        retryable: response.status >= 500 && authHint.isEmpty)
    }
  }

  private func unauthenticated(_ response: RestTransport.Response) -> PluginError {
    PluginError(
      .unauthenticated,
      "slurmrestd refused the request (HTTP 401: \(response.text.trimmingCharacters(in: .whitespacesAndNewlines)))",
      detail: [
        "hint": .string(
          "over TCP slurmrestd needs SLURM_JWT=daemon in its environment and both slurm.user and a token; "
            + "over a unix socket it accepts only its own uid and root")
      ])
  }

  struct SlurmErrorEntry {
    var number: Int?
    var text: String
  }

  static func errors(in document: JSONValue) -> [SlurmErrorEntry] {
    (document["errors"]?.arrayValue ?? []).map { entry in
      let number = (entry["error_number"] ?? entry["error_code"])?.intValue.map { Int($0) }
      let text = [entry["error"]?.stringValue, entry["description"]?.stringValue].compactMap { $0 }
        .filter { !$0.isEmpty }.joined(separator: ": ")
      return SlurmErrorEntry(number: number, text: text.isEmpty ? "error \(number ?? 0)" : text)
    }
  }

  static func describe(_ errors: [SlurmErrorEntry]) -> String {
    errors.map { entry in entry.number.map { "\(entry.text) (\($0))" } ?? entry.text }.joined(separator: "; ")
  }
}
