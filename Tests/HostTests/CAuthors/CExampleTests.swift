import Foundation
import PluginKit
import PluginSupport
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// The two C templates in Examples/ are real plugins: each passes `goldfish plugins check` and
/// carries the sample pipeline (Examples/Pipeline) end to end.
@Suite("the C examples", .serialized)
struct CExampleTests {
  /// The sample project with goldfish.yaml edited: `edit` gets init's text and returns the new one.
  static func project(_ edit: @escaping (String) -> String) throws -> ProjectFixture {
    try SamplePipeline.project(configure: edit)
  }

  static func expectCompleted(_ fixture: ProjectFixture) throws -> [StageRunRecord] {
    let (pipelineRun, runs) = try SamplePipeline.run(fixture)
    #expect(pipelineRun.status == "completed", "\(pipelineRun.error ?? "")")
    #expect(runs.map(\.stage) == ["preprocess", "train", "evaluate"])
    #expect(
      runs.allSatisfy { $0.state == .awaitingUserFinalization },
      "\(runs.map { "\($0.stage): \($0.state) \($0.error ?? "")" })")
    let evaluate = try #require(runs.last)
    #expect(try fixture.project.store.metrics(of: evaluate.id).contains { $0.name == "mse" && $0.value < 0.01 })
    return runs
  }

  @Test("Examples/CPlugin (cdir): plugins check passes, and the sample pipeline stores everything in cdir")
  func cdirStorage() throws {
    let checkRoot = TestEnvironment.temporaryFolder("cdir-check")
    let check = Command.goldfish([
      "plugins", "check", TestEnvironment.plugin("GoldfishCDir"), "--config", #"{"root": "\#(checkRoot)"}"#,
    ])
    #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
    #expect(check.stdout.contains("cases passed"), "\(check.stdout)")
    #expect(check.stdout.contains("PASS  check_config"), "\(check.stdout)")

    let root = TestEnvironment.temporaryFolder("cdir-objects")
    let fixture = try Self.project {
      $0.replacingOccurrences(
        of: "storage:\n  backend: file\n", with: "storage:\n  backend: cdir\ncdir:\n  root: \(root)\n")
    }
    try Self.expectChecked(fixture, section: "cdir", key: "root", value: root)
    let runs = try Self.expectCompleted(fixture)
    let report = try #require(try fixture.project.store.signals(of: runs[2].id).first { $0.signal == "report" })
    let uri = try #require(report.uri)
    #expect(uri.hasPrefix("cdir:///") && uri.contains("runs/\(runs[2].id)/outputs/report"), "\(uri)")
    let stored = try Data(contentsOf: URL(fileURLWithPath: root + "/" + String(uri.dropFirst("cdir:///".count))))
    #expect(report.hash == "sha256:" + SHA256Hasher.hex(of: [UInt8](stored)))
  }

  /// crun.c built the way its README says, with nothing but cc and the header folder.
  static func buildCRun() throws -> String {
    let folder = TestEnvironment.temporaryFolder("crun")
    let library = folder + "/libcrun.so"
    let compile = Command.run(
      [CCompiler.gcc] + CCompiler.strict + [
        "-shared", "-fPIC", "-I", CCompiler.include, TestEnvironment.packageRoot + "/Examples/CRunBackend/crun.c",
        "-o", library,
      ])
    #expect(compile.status == 0, "\(compile.stderr)")
    try #require(compile.status == 0)
    return library
  }

  @Test("Examples/CRunBackend (crun, on goldfish-runner): plugins check passes, and the sample pipeline runs on it")
  func crunBackend() throws {
    let library = try Self.buildCRun()
    let check = Command.goldfish(["plugins", "check", library])
    #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
    #expect(check.stdout.contains("PASS  cancel"), "\(check.stdout)")
    #expect(check.stdout.contains("PASS  check_config"), "\(check.stdout)")

    let runner = TestEnvironment.binFolder + "/goldfish-runner"
    let fixture = try Self.project {
      "plugins:\n  paths: [\(library)]\ncrun:\n  runner: \(runner)\n"
        + $0.replacingOccurrences(of: "  backend: process\n", with: "  backend: crun\n")
    }
    try Self.expectChecked(fixture, section: "crun", key: "runner", value: runner)
    let runs = try Self.expectCompleted(fixture)
    #expect(runs.allSatisfy { $0.backend == "crun" }, "\(runs.map(\.backend))")
    let handle = try #require(runs.first?.backendHandle)
    #expect(handle.contains("goldfish-runner") == false && handle.contains("start_time"), "\(handle)")
  }

  /// The example checks its own section (check_config): `config validate` does not call it
  /// "not checked", `config show` prints the value the plugin says is in effect, and an unknown key
  /// in the section is reported by the plugin as a problem.
  static func expectChecked(_ fixture: ProjectFixture, section: String, key: String, value: String) throws {
    let validate = Command.goldfish(["config", "validate"], cwd: fixture.root)
    #expect(validate.status == 0, "\(validate.stdout)\(validate.stderr)")
    #expect(!validate.stdout.contains("\(section): not checked"), "\(validate.stdout)")
    let show = Command.goldfish(["config", "show", "--json"], cwd: fixture.root)
    let shown = try #require(try show.json() as? [String: Any], "\(show.stdout)\(show.stderr)")
    #expect((shown[section] as? [String: Any])?[key] as? String == value, "\(shown[section] ?? "no section")")

    let yaml = fixture.root + "/goldfish.yaml"
    let original = try String(contentsOfFile: yaml, encoding: .utf8)
    defer { try? original.write(toFile: yaml, atomically: true, encoding: .utf8) }
    try original.replacingOccurrences(of: "\(section):\n", with: "\(section):\n  colour: blue\n")
      .write(toFile: yaml, atomically: true, encoding: .utf8)
    let bad = Command.goldfish(["config", "validate", "--json"], cwd: fixture.root)
    #expect(bad.status == 2, "\(bad.stdout)\(bad.stderr)")
    let errors = (try bad.json() as? [String: Any])?["errors"] as? [[String: Any]] ?? []
    #expect(
      errors.contains {
        $0["key"] as? String == "\(section).colour" && ($0["source"] as? String)?.contains(section) == true
      },
      "\(errors)")
  }

  @Test("crun refuses a missing goldfish-runner with the ways to name one")
  func crunWithoutRunner() throws {
    let library = try Self.buildCRun()
    let check = Command.goldfish(
      ["plugins", "check", library, "--config", #"{"runner": "/nonexistent/goldfish-runner"}"#])
    #expect(check.status != 0)
    #expect(
      check.stderr.contains("cannot find goldfish-runner") && check.stderr.contains("crun.runner"), "\(check.stderr)")
  }
}
