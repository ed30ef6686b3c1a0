import Crypto
import Foundation
import PluginKit
import PluginSupport
import _CryptoExtras

/// Where the bearer token of each request comes from, chosen once at open by walking the
/// chain: an explicit endpoint without auth (emulators), a token in the environment, the
/// service-account key file (gcs.credentials_file or $GOOGLE_APPLICATION_CREDENTIALS), the
/// GCE metadata server. Fetched tokens are cached and refreshed a minute before expiry.
public final class Credentials: @unchecked Sendable {
  public enum Source: Sendable {
    case none
    case token(String, from: String)
    case serviceAccount(ServiceAccountKey)
    case metadata(host: String)
  }

  public let source: Source
  private let http = HTTPClient(connectTimeoutSeconds: 3)
  private let lock = NSLock()
  private var cached: (token: String, expires: Date)?

  /// OAuth scopes: storage alone for the gcs storage, everything for Compute Engine.
  public static let storageScope = "https://www.googleapis.com/auth/devstorage.read_write"
  public static let cloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform"

  public convenience init(
    settings: GCSSettings, environment: [String: String] = ProcessInfo.processInfo.environment
  ) throws(PluginError) {
    try self.init(
      auth: settings.auth, endpointIsExplicit: settings.endpointIsExplicit, credentialsFile: settings.credentialsFile,
      section: "gcs", scope: Self.storageScope, environment: environment)
  }

  /// `section` names the goldfish.yaml section in messages (`gcs`, `gce`); `scope` is what a
  /// service-account token is asked for.
  public init(
    auth: String, endpointIsExplicit: Bool, credentialsFile: String?, section: String, scope: String,
    environment: [String: String] = ProcessInfo.processInfo.environment
  ) throws(PluginError) {
    var tried: [String] = []
    let wants = { (name: String) in auth == "auto" || auth == name }
    if auth == "none" || (auth == "auto" && endpointIsExplicit) {
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
    if wants("service_account") {
      let configured = credentialsFile
      let fromEnv = environment["GOOGLE_APPLICATION_CREDENTIALS"].flatMap { $0.isEmpty ? nil : $0 }
      if let path = configured ?? fromEnv {
        let origin = configured != nil ? "\(section).credentials_file" : "GOOGLE_APPLICATION_CREDENTIALS"
        source = .serviceAccount(try ServiceAccountKey(path: path, origin: origin, scope: scope))
        return
      }
      tried.append("a service-account key file (\(section).credentials_file, GOOGLE_APPLICATION_CREDENTIALS: unset)")
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
      "no Google Cloud credentials found for \(section); tried " + tried.joined(separator: "; ")
        + ". Set GOOGLE_OAUTH_ACCESS_TOKEN (e.g. from `gcloud auth print-access-token`), set \(section).credentials_file "
        + "or GOOGLE_APPLICATION_CREDENTIALS to a service-account JSON key, run on a GCE VM, "
        + "or point \(section).endpoint at an emulator",
      detail: ["tried": .array(tried.map { .string($0) })])
  }

  /// The Authorization header for the next request, if this source uses one.
  public func header() throws(PluginError) -> (String, String)? {
    switch source {
    case .none: return nil
    case .token(let token, _): return ("Authorization", "Bearer " + token)
    case .metadata(let host): return ("Authorization", "Bearer " + (try metadataToken(host: host)))
    case .serviceAccount(let key): return ("Authorization", "Bearer " + (try serviceAccountToken(key)))
    }
  }

  /// A token for a signed JWT assertion (RFC 7523), as Google's OAuth endpoint issues them.
  private func serviceAccountToken(_ key: ServiceAccountKey) throws(PluginError) -> String {
    lock.lock()
    defer { lock.unlock() }
    if let cached, cached.expires.timeIntervalSinceNow > 60 { return cached.token }
    let assertion = try key.assertion(now: Date())
    let form =
      "grant_type=" + Self.formEncode("urn:ietf:params:oauth:grant-type:jwt-bearer")
      + "&assertion=" + Self.formEncode(assertion)
    let request = HTTPRequest(
      "POST", key.tokenURI, headers: [("Content-Type", "application/x-www-form-urlencoded")],
      body: .bytes(Array(form.utf8)), timeoutSeconds: 30)
    let response = try http.send(request)
    guard response.isSuccess else {
      var reason = response.text.prefix(200).description
      if let body = try? response.json() {
        let described = [body["error"]?.stringValue, body["error_description"]?.stringValue].compactMap { $0 }
        if !described.isEmpty { reason = described.joined(separator: ": ") }
      }
      throw PluginError(
        response.status >= 500 ? .unavailable : .unauthenticated,
        "the token endpoint \(key.tokenURI) refused the service account \(key.clientEmail) of \(key.path) "
          + "(HTTP \(response.status)): \(reason)")
    }
    let body = try response.json()
    guard let token = body["access_token"]?.stringValue, !token.isEmpty else {
      throw PluginError(
        .unauthenticated, "the token endpoint \(key.tokenURI) answered without an access_token for \(key.clientEmail)")
    }
    let lifetime = Double(body["expires_in"]?.intValue ?? 3600)
    cached = (token, Date(timeIntervalSinceNow: lifetime))
    return token
  }

  private static func formEncode(_ value: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
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
    guard let name = try? String(contentsOfFile: "/sys/class/dmi/id/product_name", encoding: .utf8) else {
      return false
    }
    return name.contains("Google")
  }
}

/// A Google service-account JSON key: who signs, with what, and where the JWT is exchanged.
public struct ServiceAccountKey: @unchecked Sendable {
  public let scope: String
  public let path: String
  let clientEmail: String
  let tokenURI: String
  let privateKey: _RSA.Signing.PrivateKey

  public init(path: String, origin: String, scope: String = Credentials.storageScope) throws(PluginError) {
    self.path = path
    self.scope = scope
    let named = "the service-account key file \(path) (from \(origin))"
    let text: String
    do {
      text = try String(contentsOfFile: path, encoding: .utf8)
    } catch {
      throw PluginError(.invalidArgument, "\(named) cannot be read: \(error.localizedDescription)")
    }
    let json: JSONValue
    do {
      json = try JSONCoding.parse(text)
    } catch {
      throw PluginError(.invalidArgument, "\(named) is not JSON: \(error.message)")
    }
    func field(_ name: String) throws(PluginError) -> String {
      guard let value = json[name]?.stringValue, !value.isEmpty else {
        throw PluginError(.invalidArgument, "\(named) has no \"\(name)\" field")
      }
      return value
    }
    let type = try field("type")
    guard type == "service_account" else {
      throw PluginError(
        .invalidArgument, "\(named) has \"type\": \"\(type)\"; only \"service_account\" keys are supported")
    }
    clientEmail = try field("client_email")
    tokenURI = json["token_uri"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? "https://oauth2.googleapis.com/token"
    let pem = try field("private_key")
    do {
      privateKey = try _RSA.Signing.PrivateKey(pemRepresentation: pem)
    } catch {
      throw PluginError(
        .invalidArgument,
        "\(named) has a \"private_key\" that is not a PEM RSA private key "
          + "(-----BEGIN PRIVATE KEY-----, PKCS#8)")
    }
  }

  /// header.claims.signature, each base64url without padding, signed RS256.
  func assertion(now: Date) throws(PluginError) -> String {
    let iat = Int(now.timeIntervalSince1970)
    let header: JSONValue = ["alg": "RS256", "typ": "JWT"]
    let claims: JSONValue = [
      "iss": .string(clientEmail), "scope": .string(scope), "aud": .string(tokenURI),
      "iat": .int(Int64(iat)), "exp": .int(Int64(iat + 3600)),
    ]
    let signingInput =
      Self.base64url(Array(try JSONCoding.encode(header).utf8)) + "."
      + Self.base64url(Array(try JSONCoding.encode(claims).utf8))
    do {
      let signature = try privateKey.signature(
        for: SHA256.hash(data: Array(signingInput.utf8)), padding: .insecurePKCS1v1_5)
      return signingInput + "." + Self.base64url(Array(signature.rawRepresentation))
    } catch {
      throw PluginError(.internal, "signing the JWT for \(clientEmail) with the key of \(path) failed: \(error)")
    }
  }

  static func base64url(_ bytes: [UInt8]) -> String {
    var text = Data(bytes).base64EncodedString()
    text = text.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
    while text.hasSuffix("=") { text.removeLast() }
    return text
  }
}
