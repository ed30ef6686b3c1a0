import Foundation
import PluginKit
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// The credentials chain against a loopback stand-in that requires a bearer token and also
/// plays the GCE metadata server. Serialized: the tests set and unset environment variables
/// that only auth "env"/"metadata" read (every other test names an endpoint and uses none).
@Suite("gcs storage credentials", .enabled(if: GCSSupport.available), .serialized)
struct GCSCredentialsTests {
  @Test("a token from the GCE metadata server (GCE_METADATA_HOST) is sent with every request")
  func metadataServer() throws {
    let proxy = try FaultProxy("auth")
    setenv("GCE_METADATA_HOST", "127.0.0.1:\(proxy.port)", 1)
    defer { unsetenv("GCE_METADATA_HOST") }
    let storage = try GCSSupport.open(endpoint: proxy.endpoint, ["auth": "metadata"])
    let uri = try GCSSupport.uri(storage, "auth/metadata")
    _ = try storage.putBytes(["uri": .string(uri)], Array("token from metadata".utf8))
    #expect(try storage.getBytes(["uri": .string(uri)]) == Array("token from metadata".utf8))
  }

  @Test("a token from GCS_ACCESS_TOKEN is used; a wrong one is unauthenticated, not retried")
  func environmentToken() throws {
    let proxy = try FaultProxy("auth")
    defer { unsetenv("GCS_ACCESS_TOKEN") }
    setenv("GCS_ACCESS_TOKEN", "test-token-123", 1)
    let storage = try GCSSupport.open(endpoint: proxy.endpoint, ["auth": "env"])
    let uri = try GCSSupport.uri(storage, "auth/env")
    _ = try storage.putBytes(["uri": .string(uri)], [4, 2])
    setenv("GCS_ACCESS_TOKEN", "wrong", 1)
    let refused = try GCSSupport.open(endpoint: proxy.endpoint, ["auth": "env"])
    do {
      _ = try refused.call("stat", ["uri": .string(uri)])
      Issue.record("a wrong token was accepted")
    } catch {
      #expect(error.error.code == .unauthenticated && !error.error.retryable, "\(error)")
    }
  }

  @Test("without any credentials, open fails and names every source it tried")
  func noCredentials() throws {
    guard ProcessInfo.processInfo.environment["GOOGLE_OAUTH_ACCESS_TOKEN"] == nil else { return }
    unsetenv("GCS_ACCESS_TOKEN")
    let registry = PluginRegistry.load([.init(path: TestEnvironment.plugin("GoldfishGCS"), origin: "test")])
    do {
      _ = try registry.open(.objectStorage, "gcs", config: ["bucket": "b-1", "auth": "env"])
      Issue.record("opened without credentials")
    } catch {
      #expect("\(error)".contains("GOOGLE_OAUTH_ACCESS_TOKEN, GCS_ACCESS_TOKEN"), "\(error)")
    }
    do {
      _ = try registry.open(.objectStorage, "gcs", config: ["bucket": "b-1", "auth": "metadata"])
      Issue.record("opened without credentials")
    } catch {
      #expect("\(error)".contains("metadata server"), "\(error)")
    }
  }
}
