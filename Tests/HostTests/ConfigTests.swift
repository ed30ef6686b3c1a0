import Foundation
import Host
import Testing

@testable import GoldfishTestSupport

@Suite("goldfish.yaml plugins section")
struct ConfigTests {
  func project(_ yaml: String) throws -> String {
    let folder = TestEnvironment.temporaryFolder("config")
    try yaml.write(toFile: folder + "/goldfish.yaml", atomically: true, encoding: .utf8)
    return folder
  }

  @Test("an unknown key names its line, the allowed keys and the likely fix")
  func unknownKey() throws {
    let folder = try project("project_name: demo\nplugins:\n  path: [./x.so]\n")
    let result = Command.goldfish(["plugins", "list"], cwd: folder)
    #expect(result.status == 2)
    #expect(result.stderr.contains("goldfish.yaml:3: plugins.path"), "\(result.stderr)")
    #expect(result.stderr.contains("did you mean \"paths\""), "\(result.stderr)")
    #expect(result.stderr.contains("search_paths"))
  }

  @Test("a wrong type is refused with the key's location")
  func wrongType() throws {
    let folder = try project("plugins:\n  defaults: maybe\n")
    let result = Command.goldfish(["plugins", "list"], cwd: folder)
    #expect(result.status == 2)
    #expect(result.stderr.contains("goldfish.yaml:2: plugins.defaults should be true or false"), "\(result.stderr)")
  }

  @Test("broken YAML is reported as such")
  func brokenYAML() throws {
    let folder = try project("plugins: [unclosed\n")
    let result = Command.goldfish(["plugins", "list"], cwd: folder)
    #expect(result.status == 2)
    #expect(result.stderr.contains("is not valid YAML"))
  }

  @Test("defaults: false loads only what the config names")
  func noDefaults() throws {
    let folder = try project("plugins:\n  defaults: false\n  search_paths: [\(TestEnvironment.fixtures)/]\n")
    let result = Command.goldfish(["plugins", "list", "--json"], cwd: folder)
    let object = try #require(try result.json() as? [String: Any])
    let names = (object["plugins"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
    #expect(!names.contains("goldfish-local"))
    #expect(names.contains("example-cdir"))
  }

  @Test("an explicit --project without goldfish.yaml is refused with a way out")
  func missingProject() {
    let result = Command.goldfish(["plugins", "list", "--project", TestEnvironment.temporaryFolder("empty")])
    #expect(result.status == 2)
    #expect(result.stderr.contains("goldfish init"))
  }
}
