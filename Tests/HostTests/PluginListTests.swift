import Foundation
import Testing

@testable import GoldfishTestSupport

@Suite("goldfish plugins list")
struct PluginListTests {
  /// The listing as a test reads it.
  struct Listing {
    var plugins: [[String: Any]]
    var refused: [[String: Any]]

    init(_ result: CommandResult) throws {
      let object = try #require(try result.json() as? [String: Any], "stdout is not a JSON object: \(result.stdout)")
      plugins = object["plugins"] as? [[String: Any]] ?? []
      refused = object["refused"] as? [[String: Any]] ?? []
    }

    var pluginNames: [String] { plugins.compactMap { $0["name"] as? String } }

    func services(of plugin: String) -> [[String: Any]] {
      plugins.first { $0["name"] as? String == plugin }?["services"] as? [[String: Any]] ?? []
    }

    func refusal(for path: String) -> String? {
      refused.first { $0["path"] as? String == path }?["reason"] as? String
    }
  }

  @Test("first-party plugins load from the executable's folder with their services")
  func firstParty() throws {
    let result = Command.goldfish(["plugins", "list", "--json"], cwd: TestEnvironment.temporaryFolder("list"))
    #expect(result.status == 0, "\(result.stderr)")
    let listing = try Listing(result)
    for name in ["goldfish-local", "goldfish-docker", "goldfish-gce", "goldfish-gcs", "example-cdir"] {
      #expect(listing.pluginNames.contains(name), "\(name) missing from \(listing.pluginNames)")
    }
    #expect(listing.refused.isEmpty, "unexpected refusals: \(listing.refused)")
    let local = listing.services(of: "goldfish-local")
    let file = try #require(local.first { $0["name"] as? String == "file" })
    #expect(file["kind"] as? String == "object_storage")
    #expect(file["implemented"] as? Bool == true)
    let process = try #require(local.first { $0["name"] as? String == "process" })
    #expect(process["kind"] as? String == "run_backend")
    // Warm reuse through goldfish-agent workers: the warm-pool functions are all there.
    #expect((process["unsupported"] as? [String])?.contains("deliver_job") == false)
    #expect((process["capabilities"] as? [String: Any])?["warm_reuse"] as? Bool == true)
    let docker = try #require(listing.services(of: "goldfish-docker").first { $0["kind"] as? String == "run_backend" })
    #expect(docker["implemented"] as? Bool == true)
    let capabilities = try #require(docker["capabilities"] as? [String: Any])
    #expect(capabilities["needs_image"] as? Bool == true && capabilities["isolation"] as? String == "container")
    let gce = try #require(listing.services(of: "goldfish-gce").first { $0["name"] as? String == "gce" })
    #expect(gce["implemented"] as? Bool == true)
    #expect((gce["unsupported"] as? [String])?.contains("deliver_job") == false)
    #expect((gce["capabilities"] as? [String: Any])?["isolation"] as? String == "vm")
  }

  static let refusals: [(fixture: String, reason: String)] = [
    ("wrong_major", "built for plugin ABI 99.0 but this goldfish"),
    ("no_entry", "does not export goldfish_plugin_entry"),
    ("null_entry", "returned NULL"),
    ("bad_magic", "instead of 0x474F4C44"),
    ("small_struct", "struct_size is 8 bytes"),
    ("not_elf", "not an ELF file"),
    ("executable", "is an executable, not a shared library"),
    ("stdout_print", "bytes to stdout while loading"),
    ("dup_b", "already registered"),
  ]

  /// A project whose goldfish.yaml names every fixture, good and bad.
  static func fixtureProject() throws -> String {
    let project = TestEnvironment.temporaryFolder("fixtures")
    let paths = ["dup_a"] + refusals.map(\.fixture)
    let yaml = """
      plugins:
        paths:
      \(paths.map { "    - \(TestEnvironment.fixture($0))" }.joined(separator: "\n"))
          - \(project)/missing/libnothing.so
      """
    try yaml.write(toFile: project + "/goldfish.yaml", atomically: true, encoding: .utf8)
    return project
  }

  @Test("every bad fixture is refused with a one-line reason; the good plugins stay", arguments: refusals)
  func refused(fixture: String, reason: String) throws {
    let project = try Self.fixtureProject()
    let result = Command.goldfish(["plugins", "list", "--json"], cwd: project)
    #expect(result.status == 0, "\(result.stderr)")
    let listing = try Listing(result)
    let why = try #require(listing.refusal(for: TestEnvironment.fixture(fixture)), "\(fixture) was not refused")
    #expect(why.contains(reason), "reason for \(fixture): \(why)")
    #expect(!why.contains("\n"), "reason is not one line: \(why)")
    #expect(listing.pluginNames.contains("goldfish-local"))
    #expect(listing.pluginNames.contains("dup-a"))
  }

  @Test("a missing plugin file is refused and names the config key to fix")
  func missingFile() throws {
    let project = try Self.fixtureProject()
    let listing = try Listing(Command.goldfish(["plugins", "list", "--json"], cwd: project))
    let why = try #require(listing.refusal(for: project + "/missing/libnothing.so"))
    #expect(why.contains("no such file") && why.contains("plugins.paths"), "\(why)")
  }

  @Test("--strict exits non-zero when a file was refused, and the table names each one")
  func strict() throws {
    let project = try Self.fixtureProject()
    let strict = Command.goldfish(["plugins", "list", "--strict"], cwd: project)
    #expect(strict.status == 1)
    #expect(strict.stdout.contains("Refused:"))
    for (fixture, _) in Self.refusals {
      #expect(strict.stdout.contains(TestEnvironment.fixture(fixture)), "\(fixture) missing from the table")
    }
    let clean = Command.goldfish(["plugins", "list", "--strict"], cwd: TestEnvironment.temporaryFolder("clean"))
    #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)")
  }

  @Test("a plugin printing to stdout cannot corrupt what goldfish writes there")
  func stdoutProtected() throws {
    let project = try Self.fixtureProject()
    let result = Command.goldfish(["plugins", "list", "--json"], cwd: project)
    // The text appears only inside the refusal reason, quoted, never as a raw line.
    #expect(!result.stdout.split(separator: "\n").contains { $0.hasPrefix("hello from a plugin") })
    #expect(throws: Never.self) { try result.json() }
  }

  @Test("plugins inspect describes one file without any project")
  func inspect() throws {
    let good = Command.goldfish(["plugins", "inspect", TestEnvironment.fixture("cdir"), "--json"])
    #expect(good.status == 0, "\(good.stderr)")
    let listing = try Listing(good)
    #expect(listing.pluginNames == ["example-cdir"])
    let bad = Command.goldfish(["plugins", "inspect", TestEnvironment.fixture("bad_magic")])
    #expect(bad.status == 1)
    #expect(bad.stdout.contains("magic"))
  }

  @Test("GOLDFISH_PLUGIN_PATH adds a search folder")
  func environmentSearchPath() throws {
    let folder = TestEnvironment.temporaryFolder("envpath")
    try FileManager.default.copyItem(atPath: TestEnvironment.fixture("cdir"), toPath: folder + "/libthird.so")
    let result = Command.goldfish(
      ["plugins", "list", "--json", "--plugin", TestEnvironment.fixture("dup_a")],
      environment: ["GOLDFISH_PLUGIN_PATH": folder], cwd: folder)
    let listing = try Listing(result)
    // The copy registers "cdir" like the build's own example plugin; whichever comes second is refused.
    #expect(listing.pluginNames.contains("dup-a"))
    #expect(listing.plugins.contains { $0["path"] as? String == folder + "/libthird.so" })
    #expect(listing.refused.contains { ($0["reason"] as? String)?.contains("already registered") == true })
  }
}
