import Crypto
import Foundation
import PluginKit
import PluginSupport
import Testing
import _CryptoExtras

@testable import GoldfishTestSupport
@testable import Host

/// The service-account key file source: a key generated here, a loopback token endpoint
/// (fault_proxy.py "jwt") that records each JWT it is sent and hands out tokens, and the
/// emulator behind it that is only reached with the latest token.
@Suite("gcs storage service-account credentials", .enabled(if: GCSSupport.available), .serialized)
struct GCSServiceAccountTests {
  static let email = "goldfish-test@project.iam.gserviceaccount.com"

  /// A key JSON as the Cloud console downloads it, written to a temp file.
  static func keyFile(
    _ key: _RSA.Signing.PrivateKey, tokenURI: String, type: String = "service_account"
  )
    throws -> String
  {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("sa-\(UUID().uuidString).json").path
    let json: JSONValue = [
      "type": .string(type), "project_id": "project", "private_key_id": "0123",
      "private_key": .string(key.pkcs8PEMRepresentation), "client_email": .string(email),
      "token_uri": .string(tokenURI),
    ]
    try JSONCoding.encode(json).write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  static func base64urlDecode(_ text: Substring) -> Data? {
    var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
    while base64.count % 4 != 0 { base64 += "=" }
    return Data(base64Encoded: base64)
  }

  /// Every assertion the endpoint received, each checked: RS256 signature by `key`, claims.
  static func assertions(_ proxy: FaultProxy, key: _RSA.Signing.PrivateKey, tokenURI: String) throws -> Int {
    let response = try HTTPClient().send(HTTPRequest("GET", proxy.endpoint + "/_assertions"))
    let list = try response.json()["assertions"]?.arrayValue ?? []
    for item in list {
      let jwt = item.stringValue ?? ""
      let parts = jwt.split(separator: ".", omittingEmptySubsequences: false)
      try #require(parts.count == 3, "\(jwt)")
      #expect(!jwt.contains("="))
      let header = try JSONCoding.parse(String(decoding: try #require(base64urlDecode(parts[0])), as: UTF8.self))
      #expect(header["alg"]?.stringValue == "RS256" && header["typ"]?.stringValue == "JWT")
      let claims = try JSONCoding.parse(String(decoding: try #require(base64urlDecode(parts[1])), as: UTF8.self))
      #expect(claims["iss"]?.stringValue == email)
      #expect(claims["aud"]?.stringValue == tokenURI)
      #expect(claims["scope"]?.stringValue == "https://www.googleapis.com/auth/devstorage.read_write")
      let iat = try #require(claims["iat"]?.intValue)
      #expect(claims["exp"]?.intValue == iat + 3600)
      #expect(abs(Double(iat) - Date().timeIntervalSince1970) < 120)
      let signature = _RSA.Signing.RSASignature(rawRepresentation: try #require(base64urlDecode(parts[2])))
      let signed = Array("\(parts[0]).\(parts[1])".utf8)
      #expect(
        key.publicKey.isValidSignature(signature, for: SHA256.hash(data: signed), padding: .insecurePKCS1v1_5),
        "the JWT signature does not verify with the key's public key")
    }
    return list.count
  }

  @Test("a key file's signed JWT is exchanged for a token that is sent with every request")
  func keyFileToken() throws {
    let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
    let proxy = try FaultProxy("jwt")
    let tokenURI = proxy.endpoint + "/token"
    let path = try Self.keyFile(key, tokenURI: tokenURI)
    defer { try? FileManager.default.removeItem(atPath: path) }
    let storage = try GCSSupport.open(
      endpoint: proxy.endpoint, ["auth": "service_account", "credentials_file": .string(path)])
    let uri = try GCSSupport.uri(storage, "auth/sa")
    _ = try storage.putBytes(["uri": .string(uri)], Array("signed".utf8))
    #expect(try storage.getBytes(["uri": .string(uri)]) == Array("signed".utf8))
    // One token, cached: later requests did not sign again.
    #expect(try Self.assertions(proxy, key: key, tokenURI: tokenURI) == 1)
  }

  @Test("GOOGLE_APPLICATION_CREDENTIALS is read; a token that expires is fetched anew")
  func refreshedWhenExpired() throws {
    let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
    let proxy = try FaultProxy("jwt", count: 1)
    let tokenURI = proxy.endpoint + "/token"
    let path = try Self.keyFile(key, tokenURI: tokenURI)
    defer { try? FileManager.default.removeItem(atPath: path) }
    setenv("GOOGLE_APPLICATION_CREDENTIALS", path, 1)
    defer { unsetenv("GOOGLE_APPLICATION_CREDENTIALS") }
    let storage = try GCSSupport.open(endpoint: proxy.endpoint, ["auth": "service_account"])
    let uri = try GCSSupport.uri(storage, "auth/sa-refresh")
    _ = try storage.putBytes(["uri": .string(uri)], [1, 2, 3])
    let first = try Self.assertions(proxy, key: key, tokenURI: tokenURI)
    #expect(first >= 1)
    // expires_in 1: less than the minute of margin, so the next call signs a new JWT; the
    // proxy accepts only the latest token, so a stale one would fail with 401.
    #expect(try storage.getBytes(["uri": .string(uri)]) == [1, 2, 3])
    #expect(try Self.assertions(proxy, key: key, tokenURI: tokenURI) > first)
  }

  @Test("a bad key file fails at open naming the file and the field; a refusal names its reason")
  func badKeyFile() throws {
    let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
    func openError(_ path: String, endpoint: String = "http://127.0.0.1:1") -> String {
      do {
        let storage = try GCSSupport.open(
          endpoint: endpoint, ["auth": "service_account", "credentials_file": .string(path)])
        _ = try storage.call("exists", ["uri": .string(try GCSSupport.uri(storage, "auth/x"))])
        return "opened"
      } catch {
        return "\(error)"
      }
    }
    let missing = "/nonexistent/sa.json"
    #expect(openError(missing).contains(missing) && openError(missing).contains("cannot be read"))

    let dir = FileManager.default.temporaryDirectory.path
    let noEmail = dir + "/sa-\(UUID().uuidString).json"
    try #"{"type": "service_account", "private_key": "x"}"#.write(toFile: noEmail, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: noEmail) }
    let noEmailError = openError(noEmail)
    #expect(noEmailError.contains(noEmail) && noEmailError.contains("client_email"), "\(noEmailError)")

    let badPEM = dir + "/sa-\(UUID().uuidString).json"
    try #"{"type": "service_account", "client_email": "a@b", "private_key": "not a key"}"#
      .write(toFile: badPEM, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: badPEM) }
    let badPEMError = openError(badPEM)
    #expect(badPEMError.contains("private_key"), "\(badPEMError)")

    let user = try Self.keyFile(key, tokenURI: "http://127.0.0.1:1/token", type: "authorized_user")
    defer { try? FileManager.default.removeItem(atPath: user) }
    #expect(openError(user).contains("authorized_user"))

    let proxy = try FaultProxy("jwt-refuse")
    let refused = try Self.keyFile(key, tokenURI: proxy.endpoint + "/token")
    defer { try? FileManager.default.removeItem(atPath: refused) }
    let refusal = openError(refused, endpoint: proxy.endpoint)
    #expect(
      refusal.contains("unauthenticated") && refusal.contains("Invalid JWT Signature") && refusal.contains(Self.email),
      "\(refusal)")
  }
}
