import Foundation
import PluginKit
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// Plugins own their goldfish.yaml sections: `config validate` and `config show` ask the owning
/// plugin (`check_config`), which reads the section exactly as its open() does.
@Suite("plugins own their config")
struct PluginConfigTests {
  func project(_ yaml: String) throws -> String {
    let folder = TestEnvironment.temporaryFolder("plugin-config")
    try yaml.write(toFile: folder + "/goldfish.yaml", atomically: true, encoding: .utf8)
    return folder
  }

  @Test(
    "a misspelled key in the gce section is reported by config validate, with the gce plugin as its source",
    arguments: ["in_process", "process"])
  func misspelledGCEKey(isolation: String) throws {
    let folder = try project(
      """
      project_name: demo
      plugins: {isolation: \(isolation)}
      gce:
        project_id: my-project
        serach_timeout_sec: 100
      """)
    let result = Command.goldfish(["config", "validate", "--json"], cwd: folder)
    #expect(result.status == 2, "\(result.stdout)\(result.stderr)")
    let object = try #require(try result.json() as? [String: Any])
    let errors = object["errors"] as? [[String: Any]] ?? []
    let problem = try #require(errors.first { $0["key"] as? String == "gce.serach_timeout_sec" }, "\(errors)")
    #expect(problem["line"] as? Int == 5)
    #expect(problem["source"] as? String == "plugin goldfish-gce (run_backend gce)")
    #expect((problem["message"] as? String)?.contains("unknown key \"serach_timeout_sec\"") == true)
    #expect((problem["hint"] as? String)?.hasPrefix("did you mean \"search_timeout_sec\"?") == true, "\(problem)")

    let text = Command.goldfish(["config", "validate"], cwd: folder)
    #expect(text.stderr.contains("reported by: plugin goldfish-gce (run_backend gce)"), "\(text.stderr)")
  }

  @Test("a value the backend would refuse at open is a problem of config validate")
  func refusedValue() throws {
    let folder = try project("project_name: demo\ngce:\n  project_id: p\n  preemptible_preference: cheapest\n")
    let result = Command.goldfish(["config", "validate"], cwd: folder)
    #expect(result.status == 2)
    #expect(
      result.stderr.contains("goldfish.yaml:4: gce.preemptible_preference: gce.preemptible_preference is \"cheapest\""),
      "\(result.stderr)")
  }

  @Test(
    "each in-tree plugin reports what is wrong with its section",
    arguments: [
      ("gcs:\n  sources_prefix: s/\n", "goldfish.yaml:2: gcs.bucket: gcs storage needs a bucket", "object_storage gcs"),
      ("gcs: {bucket: My_Bucket}\n", "gcs.bucket \"My_Bucket\" is not a bucket name", "object_storage gcs"),
      ("docker:\n  netwrk: host\n", "goldfish.yaml:3: docker.netwrk: unknown key \"netwrk\"", "run_backend docker"),
      ("process:\n  sandbox: maybe\n", "process.sandbox in goldfish.yaml is \"maybe\"", "run_backend process"),
      ("file:\n  rot: x\n", "goldfish.yaml:3: file.rot: unknown key \"rot\"", "object_storage file"),
    ])
  func pluginProblems(section: String, message: String, source: String) throws {
    let folder = try project("project_name: demo\n" + section)
    let result = Command.goldfish(["config", "validate"], cwd: folder)
    #expect(result.status == 2)
    #expect(result.stderr.contains(message), "\(result.stderr)")
    #expect(
      result.stderr.contains("reported by: plugin goldfish-") && result.stderr.contains(source), "\(result.stderr)")
    // One problem, once: docker's backend and image builder share their section and report alike.
    #expect(result.stderr.contains("goldfish.yaml has 1 problem:"), "\(result.stderr)")
  }

  @Test("upstream's places reach the plugin: jobs.gce is the gce section, gce.gcs_bucket the gcs bucket")
  func migratedSections() throws {
    let folder = try project(
      """
      project_name: demo
      storage: {backend: gcs}
      jobs:
        backend: gce
        gce: {project_id: moved-project, gcs_bucket: moved-bucket, auth: none}
      """)
    let show = Command.goldfish(["config", "show", "--json"], cwd: folder)
    #expect(show.status == 0, "\(show.stderr)")
    let shown = try #require(try show.json() as? [String: Any])
    #expect((shown["gce"] as? [String: Any])?["project_id"] as? String == "moved-project")
    #expect((shown["gcs"] as? [String: Any])?["bucket"] as? String == "moved-bucket")
  }

  /// What `config show` prints for each in-tree service's section is what that service, once
  /// open, runs with: both come from the plugin's one reading of the section.
  @Test("config show and the backends agree on every setting, defaults included")
  func showAgreesWithOpenServices() throws {
    let folder = try project(
      """
      project_name: demo
      jobs: {backend: process, image_builder: docker}
      storage: {backend: file}
      gce: {project_id: agree-project, auth: none, api_endpoint: "http://127.0.0.1:9", zones: [z1]}
      gcs: {bucket: agree-bucket, auth: none, endpoint: "http://127.0.0.1:9", runs_prefix: r/}
      docker: {network: host}
      process: {sandbox: off}
      file: {}
      """)
    let show = Command.goldfish(["config", "show", "--json"], cwd: folder)
    #expect(show.status == 0, "\(show.stderr)")
    let shown = try #require(try show.json() as? [String: Any])

    let seen = SettingsLines()
    let token = HostAPI.observers.add { _, _, message in seen.record(message) }
    defer { HostAPI.observers.remove(token) }
    let host = try PluginHost.start(project: ProjectLocation(root: folder))
    let services: [(ServiceKind, String)] = [
      (.runBackend, "process"), (.objectStorage, "file"), (.runBackend, "docker"), (.imageBuilder, "docker"),
      (.runBackend, "gce"), (.objectStorage, "gcs"),
    ]
    for (kind, name) in services {
      _ = try host.open(kind, name)
      let used = try #require(seen.latest(name), "\(name) logged no settings at open")
      let section = try #require(shown[name] as? [String: Any], "config show has no \(name) section")
      #expect(!used.isEmpty)
      for (key, value) in used {
        let shownValue = String(describing: section[key])
        #expect(
          Self.same(section[key], value),
          "\(name).\(key): config show prints \(shownValue), the open \(kind.label) uses \(value)")
      }
    }
    // The value the issue found disagreeing: the host printed 900, the backend waited 600.
    let gce = try #require(shown["gce"] as? [String: Any])
    #expect(gce["search_timeout_sec"] == nil)
    #expect(Self.same(gce["capacity_wait_seconds"], seen.latest("gce")?["capacity_wait_seconds"] ?? "none"))
    // The host's own keys of a shared section stay beside the plugin's.
    #expect((shown["docker"] as? [String: Any])?["network"] as? String == "host")
  }

  @Test("a plugin without check_config is said not to check its section, and the section stays as written")
  func pluginWithoutCheck() throws {
    let folder = try project(
      """
      project_name: demo
      plugins: {paths: ["\(TestEnvironment.fixture("abi_v1_0"))"]}
      abimem: {anything: 1}
      """)
    let result = Command.goldfish(["config", "validate"], cwd: folder)
    #expect(result.status == 0, "\(result.stderr)")
    #expect(
      result.stdout.contains("abimem: not checked: plugin abi-v1-0 (object_storage abimem) does not check its config"),
      "\(result.stdout)")
    let show = Command.goldfish(["config", "show", "--json"], cwd: folder)
    let shown = try #require(try show.json() as? [String: Any])
    #expect((shown["abimem"] as? [String: Any])?["anything"] as? Int == 1)
  }

  @Test("a C plugin's check_config is asked too, and one that hangs fails validate after the call timeout")
  func cPluginCheck() throws {
    func project(_ section: String) throws -> String {
      try self.project(
        """
        project_name: demo
        plugins: {paths: ["\(TestEnvironment.fixture("config_check"))"], call_timeout_seconds: 1}
        cfgcheck: \(section)
        """)
    }
    let bad = Command.goldfish(["config", "validate", "--json"], cwd: try project("{bad: 1}"))
    #expect(bad.status == 2)
    let errors = try #require(try bad.json() as? [String: Any])["errors"] as? [[String: Any]] ?? []
    #expect(errors.first?["message"] as? String == "goldfish.yaml:3: cfgcheck.level: is too high", "\(errors)")
    #expect(errors.first?["source"] as? String == "plugin config-check (object_storage cfgcheck)")
    let good = Command.goldfish(["config", "show", "--json"], cwd: try project("{}"))
    #expect(good.status == 0, "\(good.stderr)")
    #expect((try good.json() as? [String: Any])?["cfgcheck"] as? [String: Int] == ["level": 3])
    let hung = Command.goldfish(["config", "validate"], cwd: try project("{hang: 1}"))
    #expect(hung.status == 2)
    #expect(
      hung.stderr.contains("could not check this section: check_config did not answer within 1 s"), "\(hung.stderr)")
  }

  static func same(_ shown: Any?, _ used: Any) -> Bool {
    guard let shown else { return false }
    return NSDictionary(dictionary: ["v": shown]).isEqual(to: ["v": used])
  }
}

/// The "settings in effect" lines services log when they open, by service name.
final class SettingsLines: @unchecked Sendable {
  private let lock = NSLock()
  private var lines: [String: [String: Any]] = [:]

  func record(_ message: String) {
    guard message.hasPrefix(PluginLog.settingsPrefix) else { return }
    let rest = message.dropFirst(PluginLog.settingsPrefix.count)
    guard let colon = rest.firstIndex(of: ":") else { return }
    let name = String(rest[..<colon])
    let json = rest[rest.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { return }
    lock.lock()
    lines[name] = object
    lock.unlock()
  }

  func latest(_ name: String) -> [String: Any]? {
    lock.lock()
    defer { lock.unlock() }
    return lines[name]
  }
}
