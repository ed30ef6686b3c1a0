import Foundation
import GCSClient
import PluginKit
import PluginSupport

/// Pulls a job's image through the Engine API before each job, so a mutable tag always runs
/// its current content and a job of another registry authenticates for that registry
/// (upstream §5.7 #38). Artifact Registry and Container Registry take the VM's service-account
/// token from the metadata server as `oauth2accesstoken`; any other registry is anonymous.
struct ImagePull {
  let engine: EngineAPI

  /// The registry host a reference names, or nil for Docker Hub's short names.
  static func registry(of image: String) -> String? {
    guard let slash = image.firstIndex(of: "/") else { return nil }
    let first = String(image[..<slash])
    return first.contains(".") || first.contains(":") || first == "localhost" ? first : nil
  }

  static func usesGoogleToken(_ host: String) -> Bool {
    host.hasSuffix("-docker.pkg.dev") || host == "gcr.io" || host.hasSuffix(".gcr.io")
  }

  func pull(_ image: String, log: (String) -> Void) throws(PluginError) {
    let registry = Self.registry(of: image)
    // A short name with no registry that the engine already holds (an image built on this
    // machine) is used as it is: there is no registry to ask.
    if registry == nil,
      (try engine.call("GET", "/images/\(Self.escape(image))/json", accept: [200, 404])).status == 200
    {
      return
    }
    var headers: [(String, String)] = []
    if let registry, Self.usesGoogleToken(registry) {
      headers.append(("X-Registry-Auth", try Self.googleAuth(registry)))
    }
    log("goldfish-agent: pulling \(image)")
    var pending: [UInt8] = []
    var failure: String?
    let request = HTTPRequest(
      "POST", engine.url("/images/create?fromImage=\(Self.escape(image))"), headers: headers, timeoutSeconds: nil)
    let response = try engine.stream(request) { chunk in
      pending.append(contentsOf: chunk)
      while let newline = pending.firstIndex(of: 0x0A) {
        let line = String(decoding: pending[..<newline], as: UTF8.self)
        pending.removeSubrange(...newline)
        if let message = (try? JSONCoding.parse(line))?["error"]?.stringValue { failure = message }
      }
      return true
    }
    if failure == nil, let message = (try? JSONCoding.parse(String(decoding: pending, as: UTF8.self)))?["error"] {
      failure = message.stringValue
    }
    if response.status != 200 && failure == nil { failure = "the engine answered \(response.status)" }
    if let failure {
      throw PluginError(
        .unavailable,
        "cannot pull the image \(image): \(failure)"
          + (registry.map { Self.usesGoogleToken($0) ? "; check the VM's service account can read \($0)" : "" } ?? ""),
        detail: ["image": .string(image)])
    }
  }

  /// X-Registry-Auth for Google's registries: the metadata server's token for the VM's
  /// service account (GCE_METADATA_HOST stands in for it off GCE).
  static func googleAuth(_ registry: String) throws(PluginError) -> String {
    let credentials = try Credentials(
      auth: "metadata", endpointIsExplicit: false, credentialsFile: nil, section: "gce",
      scope: Credentials.cloudPlatformScope)
    guard let header = try credentials.header() else {
      throw PluginError(.unauthenticated, "no token for \(registry): the metadata server gave none")
    }
    let token = header.1.hasPrefix("Bearer ") ? String(header.1.dropFirst(7)) : header.1
    let auth = JSONValue.object([
      "username": "oauth2accesstoken", "password": .string(token), "serveraddress": .string(registry),
    ])
    return Data(try JSONCoding.encode(auth).utf8).base64EncodedString()
      .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
  }

  static func escape(_ text: String) -> String {
    text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? text
  }
}
