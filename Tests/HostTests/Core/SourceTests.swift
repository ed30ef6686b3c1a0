import Foundation
import PluginKit
import Testing

@testable import GoldfishTestSupport
@testable import Host

@Suite("sources")
struct SourceTests {
  @Test("register a local folder, list, get, delete")
  func lifecycle() throws {
    let fixture = try ProjectFixture()
    let data = TestEnvironment.temporaryFolder("data")
    try Data(repeating: 1, count: 1000).write(to: URL(fileURLWithPath: data + "/x.npy"))
    let record = try fixture.project.sources.register(
      .init(name: "mnist", location: data, description: "handwritten digits", metadata: nil, reason: goodReason))
    #expect(record.uri == "file://" + data)
    #expect(record.sizeBytes == 1000)
    #expect(try fixture.project.sources.list().map(\.name) == ["mnist"])
    #expect(throws: GoldfishError.self) {
      try fixture.project.sources.register(
        .init(name: "mnist", location: data, description: "again", metadata: nil, reason: goodReason))
    }
    try fixture.project.sources.delete("mnist", reason: goodReason)
    #expect(try fixture.project.sources.list().isEmpty)
  }

  @Test("bad registrations are refused")
  func refused() throws {
    let fixture = try ProjectFixture()
    let sources = fixture.project.sources
    #expect(throws: GoldfishError.self) {
      try sources.register(
        .init(name: "x", location: "/does/not/exist", description: "d", metadata: nil, reason: goodReason))
    }
    #expect(throws: GoldfishError.self) {
      try sources.register(
        .init(name: "../x", location: "gs://b/x", description: "d", metadata: nil, reason: goodReason))
    }
    #expect(throws: GoldfishError.self) {
      try sources.register(
        .init(name: "x", location: "gs://b/x", description: "d", metadata: ["schema_version": 7], reason: goodReason))
    }
    #expect(try sources.list().isEmpty)
  }
}
