import Foundation
import GCSClient
import PluginKit
import PluginSupport

/// What the docker image builder needs of a registry: the credentials the engine pushes with
/// and the Registry HTTP API v2 to ask whether a tag exists. Artifact Registry and Container
/// Registry take `oauth2accesstoken` and an access token from the same credential chain as the
/// gcs storage (GOOGLE_OAUTH_ACCESS_TOKEN, a service-account key, the metadata server); any
/// other registry is anonymous. A loopback registry speaks plain HTTP, as the engine assumes.
struct ImageReference: Equatable {
  var registry: String?
  var repository: String
  var tag: String

  /// `[registry/]repository[:tag]`; a digest reference is not a tag and is refused.
  init(_ text: String) throws(PluginError) {
    guard !text.isEmpty, !text.contains("@"), !text.contains("?"), !text.contains("#"), !text.contains(" ") else {
      throw PluginError(.invalidArgument, "\(text.debugDescription) is not an image tag ([registry/]name[:tag])")
    }
    var rest = Substring(text)
    if let slash = rest.firstIndex(of: "/") {
      let first = rest[..<slash]
      if first.contains(".") || first.contains(":") || first == "localhost" {
        registry = String(first)
        rest = rest[rest.index(after: slash)...]
      }
    }
    if let colon = rest.lastIndex(of: ":"), !rest[colon...].contains("/") {
      tag = String(rest[rest.index(after: colon)...])
      repository = String(rest[..<colon])
    } else {
      tag = "latest"
      repository = String(rest)
    }
    guard !repository.isEmpty, !tag.isEmpty else {
      throw PluginError(.invalidArgument, "\(text.debugDescription) is not an image tag ([registry/]name[:tag])")
    }
  }

  var name: String { (registry.map { $0 + "/" } ?? "") + repository }

  var usesGoogleToken: Bool {
    guard let registry else { return false }
    return registry.hasSuffix("-docker.pkg.dev") || registry == "gcr.io" || registry.hasSuffix(".gcr.io")
  }

  var isLoopback: Bool {
    guard let registry else { return false }
    return registry.hasPrefix("127.") || registry.hasPrefix("localhost") || registry.hasPrefix("[::1]")
  }
}

enum RegistryAccess {
  /// The access token for Google's registries, from the gcs storage's credential chain.
  static func googleToken() throws(PluginError) -> String {
    let credentials = try Credentials(
      auth: "auto", endpointIsExplicit: false, credentialsFile: nil, section: "docker",
      scope: Credentials.cloudPlatformScope)
    guard let header = try credentials.header() else {
      throw PluginError(.unauthenticated, "no Google Cloud credentials for Artifact Registry")
    }
    return header.1.hasPrefix("Bearer ") ? String(header.1.dropFirst(7)) : header.1
  }

  /// The engine's X-Registry-Auth header value (base64url JSON; `{}` for anonymous).
  static func engineAuth(_ reference: ImageReference) throws(PluginError) -> String {
    var auth: JSONValue = [:]
    if reference.usesGoogleToken, let registry = reference.registry {
      auth = [
        "username": "oauth2accesstoken", "password": .string(try googleToken()), "serveraddress": .string(registry),
      ]
    }
    return Data(try JSONCoding.encode(auth).utf8).base64EncodedString()
      .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
  }

  /// The manifest digest of a tag in its registry (Registry HTTP API v2, HEAD), nil if absent.
  static func manifestDigest(_ reference: ImageReference) throws(PluginError) -> String? {
    guard let registry = reference.registry else {
      throw PluginError(.invalidArgument, "\(reference.name) names no registry")
    }
    let scheme = reference.isLoopback ? "http" : "https"
    var headers: [(String, String)] = [
      (
        "Accept",
        [
          "application/vnd.docker.distribution.manifest.v2+json",
          "application/vnd.docker.distribution.manifest.list.v2+json",
          "application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.index.v1+json",
        ].joined(separator: ", ")
      )
    ]
    if reference.usesGoogleToken { headers.append(("Authorization", "Bearer " + (try googleToken()))) }
    let url = "\(scheme)://\(registry)/v2/\(reference.repository)/manifests/\(reference.tag)"
    let response = try HTTPClient(connectTimeoutSeconds: 10).send(
      HTTPRequest("HEAD", url, headers: headers, timeoutSeconds: 30))
    switch response.status {
    case 200: return response.headers["docker-content-digest"] ?? "present"
    case 404: return nil
    case 401, 403:
      throw PluginError(
        .permissionDenied,
        "the registry \(registry) refused to say whether \(reference.name):\(reference.tag) exists "
          + "(\(response.status)); check the credentials can read it (roles/artifactregistry.reader)")
    default:
      throw PluginError(
        .unavailable, "the registry \(registry) answered \(response.status) for \(reference.name):\(reference.tag)")
    }
  }
}
