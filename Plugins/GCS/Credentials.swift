import Foundation
import PluginKit

/// Where the bearer token of each request comes from, chosen once at open by walking the
/// chain: an explicit endpoint without auth (emulators), a token in the environment, the
/// GCE metadata server. Metadata tokens are cached and refreshed a minute before expiry.
final class Credentials: @unchecked Sendable {
  enum Source: Sendable {
    case none
    case token(String, from: String)
    case metadata(host: String)
  }

  let source: Source
  private let http = HTTPClient(connectTimeoutSeconds: 3)
  private let lock = NSLock()
  private var cached: (token: String, expires: Date)?

  init(settings: GCSSettings, environment: [String: String] = ProcessInfo.processInfo.environment)
    throws(PluginError)
  {
    var tried: [String] = []
    let wants = { (name: String) in settings.auth == "auto" || settings.auth == name }
    if settings.auth == "none" || (settings.auth == "auto" && settings.endpointIsExplicit) {
      source = .none
      return
    }
    if wants("env") {
      for name in ["GOOGLE_OAUTH_ACCESS_TOKEN", "GCS_ACCESS_TOKEN"] {
        if let token = environment[name], !token.isEmpty {
          source = .token(token, from: name)
          return
        }
      }
      tried.append("the environment (GOOGLE_OAUTH_ACCESS_TOKEN, GCS_ACCESS_TOKEN: unset)")
    }
    if wants("metadata") {
      if let host = environment["GCE_METADATA_HOST"], !host.isEmpty {
        source = .metadata(host: host)
        return
      }
      if Self.onGCE() {
        source = .metadata(host: "metadata.google.internal")
        return
      }
      tried.append("the GCE metadata server (GCE_METADATA_HOST unset and this machine is not a GCE VM)")
    }
    throw PluginError(
      .unauthenticated,
      "no Google Cloud credentials found for gcs storage; tried " + tried.joined(separator: "; ")
        + ". Set GOOGLE_OAUTH_ACCESS_TOKEN (e.g. from `gcloud auth print-access-token`), run on a GCE VM, "
        + "or point gcs.endpoint at an emulator",
      detail: ["tried": .array(tried.map { .string($0) })])
  }

  /// The Authorization header for the next request, if this source uses one.
  func header() throws(PluginError) -> (String, String)? {
    switch source {
    case .none: return nil
    case .token(let token, _): return ("Authorization", "Bearer " + token)
    case .metadata(let host): return ("Authorization", "Bearer " + (try metadataToken(host: host)))
    }
  }

  private func metadataToken(host: String) throws(PluginError) -> String {
    lock.lock()
    defer { lock.unlock() }
    if let cached, cached.expires.timeIntervalSinceNow > 60 { return cached.token }
    let base = host.contains("://") ? host : "http://" + host
    let request = HTTPRequest(
      "GET", base + "/computeMetadata/v1/instance/service-accounts/default/token",
      headers: [("Metadata-Flavor", "Google")], timeoutSeconds: 10)
    let response = try http.send(request)
    guard response.isSuccess else {
      throw PluginError(
        response.status >= 500 ? .unavailable : .unauthenticated,
        "the GCE metadata server at \(host) refused a token (HTTP \(response.status)): \(response.text.prefix(200))")
    }
    let body = try response.json()
    guard let token = body["access_token"]?.stringValue else {
      throw PluginError(.unauthenticated, "the GCE metadata server at \(host) answered without an access_token")
    }
    let lifetime = Double(body["expires_in"]?.intValue ?? 300)
    cached = (token, Date(timeIntervalSinceNow: lifetime))
    return token
  }

  private static func onGCE() -> Bool {
    guard let name = try? String(contentsOfFile: "/sys/class/dmi/id/product_name", encoding: .utf8) else { return false }
    return name.contains("Google")
  }
}
