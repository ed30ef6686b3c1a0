import Foundation
import Host
import Testing

@testable import GoldfishTestSupport

@Suite("goldfish config validate | show")
struct ConfigCommandTests {
  func project(_ yaml: String) throws -> String {
    let folder = TestEnvironment.temporaryFolder("config-command")
    try yaml.write(toFile: folder + "/goldfish.yaml", atomically: true, encoding: .utf8)
    return folder
  }

  @Test("a valid file passes, and upstream migrations are printed as warnings")
  func valid() throws {
    let folder = try project("project_name: demo\nextra_packages: [einops]\n")
    let result = Command.goldfish(["config", "validate", "--project", folder])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout.contains("goldfish.yaml is valid"))
    #expect(result.stdout.contains("warning: goldfish.yaml:2: extra_packages: read as docker.extra_packages.base"))
  }

  @Test("an invalid file exits 2 and lists every problem with its line")
  func invalid() throws {
    let folder = try project("project_name: demo\naudit:\n  min_reason_length: 0\ndocker:\n  network: bridge\n")
    let result = Command.goldfish(["config", "validate"], cwd: folder)
    #expect(result.status == 2)
    #expect(result.stderr.contains("goldfish.yaml has 2 problems:"), "\(result.stderr)")
    #expect(result.stderr.contains("goldfish.yaml:3: audit.min_reason_length is 0; it must be between 1 and 1000"))
    #expect(result.stderr.contains("goldfish.yaml:5: docker.network is \"bridge\"; allowed values: none, host"))
  }

  @Test("--json gives every problem as key, line and message")
  func json() throws {
    let folder = try project("project_name: demo\nslots: [w1, w1]\njobs:\n  backend: proces\n")
    let result = Command.goldfish(["config", "validate", "--json"], cwd: folder)
    #expect(result.status == 2)
    let object = try #require(try result.json() as? [String: Any])
    #expect(object["valid"] as? Bool == false)
    let errors = object["errors"] as? [[String: Any]] ?? []
    #expect(errors.compactMap { $0["key"] as? String } == ["slots[1]", "jobs.backend"])
    #expect(errors.compactMap { $0["line"] as? Int } == [2, 4])
    // The selected run backend must be registered by a loaded plugin.
    #expect(
      (errors.last?["message"] as? String)?.contains("no loaded plugin registers the run_backend \"proces\"") == true)
    #expect((errors.last?["hint"] as? String)?.hasPrefix("did you mean \"process\"?") == true)
  }

  @Test("a section named after a loaded service is valid; without the plugin it is an unknown key")
  func serviceSection() throws {
    let loaded = try project("project_name: demo\ncdir:\n  root: /tmp/objects\n")
    #expect(Command.goldfish(["config", "validate"], cwd: loaded).status == 0)
    let unloaded = try project(
      "project_name: demo\nplugins: {defaults: false}\nstorage: {backend: file}\ncdir:\n  root: /tmp/objects\n")
    let result = Command.goldfish(["config", "validate"], cwd: unloaded)
    #expect(result.status == 2)
    #expect(result.stderr.contains("goldfish.yaml:4: cdir: unknown key \"cdir\""), "\(result.stderr)")
  }

  @Test("show prints the effective config with defaults, as YAML and as JSON")
  func show() throws {
    let folder = try project("project_name: demo\nslots: 2\n")
    let yaml = Command.goldfish(["config", "show"], cwd: folder)
    #expect(yaml.status == 0, "\(yaml.stderr)")
    #expect(yaml.stdout.hasPrefix("project_name: demo\n"))
    #expect(yaml.stdout.contains("slots: [w1, w2]"))
    #expect(yaml.stdout.contains("  min_reason_length: 15"))
    let json = Command.goldfish(["config", "show", "--json"], cwd: folder)
    let object = try #require(try json.json() as? [String: Any])
    #expect((object["defaults"] as? [String: Any])?["timeout_seconds"] as? Int == 3600)
    #expect((object["jobs"] as? [String: Any])?["backend"] as? String == "process")
    let profiles = Command.goldfish(["config", "show", "--profiles", "--json"], cwd: folder)
    let names = try #require(try profiles.json() as? [String: Any]).keys.sorted()
    #expect(names == ["a100-on-demand", "a100-spot", "cpu-large", "cpu-small", "h100-on-demand", "h100-spot"])
  }

  @Test("show refuses an invalid file and points at validate")
  func showInvalid() throws {
    let folder = try project("project_name: demo\nworkspace_dir: ws\n")
    let result = Command.goldfish(["config", "show"], cwd: folder)
    #expect(result.status == 2)
    #expect(result.stderr.contains("goldfish.yaml:2: workspace_dir: unknown key"))
    #expect(result.stderr.contains("goldfish config validate"))
  }
}
