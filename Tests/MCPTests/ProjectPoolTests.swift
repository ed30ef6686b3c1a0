import Foundation
import Testing

@testable import GoldfishMCP
@testable import GoldfishTestSupport
@testable import Host

/// The MCP server keeps opened projects between tool calls, and only while what they were opened
/// from is unchanged.
@Suite("MCP server: opened projects kept between calls")
struct ProjectPoolTests {
  @Test("one open serves call after call; a change to goldfish.yaml opens it again with the new settings")
  func reusedUntilConfigChanges() throws {
    let fixture = try ProjectFixture()
    let pool = ProjectPool()
    let location = ProjectLocation(root: fixture.root)
    let first = try pool.with(location) { ObjectIdentifier($0) }
    let second = try pool.with(location) { ObjectIdentifier($0) }
    #expect(first == second)
    #expect(pool.opened == 1)

    let config = fixture.root + "/goldfish.yaml"
    let text = try String(contentsOfFile: config, encoding: .utf8)
    #expect(text.contains("max_recent_actions: 15"))
    try text.replacingOccurrences(of: "max_recent_actions: 15", with: "max_recent_actions: 7")
      .write(toFile: config, atomically: true, encoding: .utf8)
    let recent = try pool.with(location) { $0.config.stateMD.maxRecentActions }
    #expect(recent == 7)
    #expect(pool.opened == 2)
  }

  @Test("a prewarmed project serves the calls that follow: none of them opens one")
  func prewarmServesFirstCall() throws {
    let fixture = try ProjectFixture()
    let pool = ProjectPool()
    let location = ProjectLocation(root: fixture.root)
    pool.prewarm(location)
    #expect(pool.opened == 1)
    _ = try pool.with(location) { $0.settings.projectName }
    _ = try pool.with(location) { $0.settings.projectName }
    #expect(pool.opened == 1)
  }

  @Test("calls at the same time never share a project")
  func concurrentCallsGetTheirOwn() throws {
    let fixture = try ProjectFixture()
    let pool = ProjectPool()
    let location = ProjectLocation(root: fixture.root)
    let (outer, inner) = try pool.with(location) { outer in
      (ObjectIdentifier(outer), try pool.with(location) { ObjectIdentifier($0) })
    }
    #expect(outer != inner)
    #expect(pool.opened == 2)
    // Both went back; the next two calls at once reuse them instead of opening a third.
    _ = try pool.with(location) { _ in try pool.with(location) { _ in 0 } }
    #expect(pool.opened == 2)
  }

  @Test("a plugin file added to a search folder opens the project again, so the new plugin is seen")
  func newPluginFileReopens() throws {
    let folder = TestEnvironment.temporaryFolder("pool-plugins")
    let fixture = try ProjectFixture { root in
      let path = root + "/goldfish.yaml"
      let text = try String(contentsOfFile: path, encoding: .utf8)
      try (text + "\nplugins:\n  search_paths: [\(folder)]\n").write(toFile: path, atomically: true, encoding: .utf8)
    }
    let pool = ProjectPool()
    let location = ProjectLocation(root: fixture.root)
    func seen(_ project: Project) -> Int {
      (project.plugins.registry.plugins.map(\.path) + project.plugins.registry.refused.map(\.path))
        .filter { $0.hasPrefix(folder) }.count
    }
    #expect(try pool.with(location, seen) == 0)
    // A copy of a first-party plugin: refused as a duplicate, but discovered, which is the point.
    try FileManager.default.copyItem(
      atPath: TestEnvironment.plugin("GoldfishCDir"), toPath: folder + "/libThirdParty.so")
    #expect(try pool.with(location, seen) == 1)
    #expect(pool.opened == 2)
  }
}
