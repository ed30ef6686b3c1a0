import Foundation
import Testing

@testable import GoldfishTestSupport

/// An installed goldfish finds its plugins and runner, and a third party compiles a plugin
/// against the installed header with nothing but cc.
@Suite("installed layout")
struct InstallTests {
  @Test("install, then build the C example against the installed headers alone and check it")
  func installedHeader() throws {
    let prefix = TestEnvironment.temporaryFolder("prefix")
    let install = Command.run([
      "/bin/bash", TestEnvironment.packageRoot + "/scripts/install.sh", "--prefix", prefix,
      "--build-dir", TestEnvironment.binFolder,
    ])
    #expect(install.status == 0, "\(install.stderr)")
    for header in ["goldfish_plugin.h", "goldfish_json.h"] {
      #expect(FileManager.default.fileExists(atPath: prefix + "/include/goldfish/" + header), "\(header)")
    }

    let work = TestEnvironment.temporaryFolder("third-party")
    let compile = Command.run([
      "/usr/bin/cc", "-shared", "-fPIC", "-I", prefix + "/include/goldfish", "-o", work + "/libcdir.so",
      TestEnvironment.packageRoot + "/Examples/CPlugin/cdir.c",
    ])
    #expect(compile.status == 0, "\(compile.stderr)")
    let goldfish = prefix + "/bin/goldfish"
    let check = Command.run(
      [goldfish, "plugins", "check", work + "/libcdir.so", "--config", #"{"root": "objects"}"#], cwd: work)
    #expect(check.status == 0, "\(check.stdout)\(check.stderr)")

    let list = Command.run([goldfish, "plugins", "list", "--json"], cwd: work)
    let object = try #require(try list.json() as? [String: Any])
    let paths = (object["plugins"] as? [[String: Any]] ?? []).compactMap { $0["path"] as? String }
    #expect(
      paths.contains { $0.hasPrefix(prefix) && $0.hasSuffix("/lib/goldfish/plugins/libGoldfishLocal.so") }, "\(paths)")

    // The process backend finds the installed runner beside its own plugin folder.
    let local = Command.run(
      [goldfish, "plugins", "check", prefix + "/lib/goldfish/plugins/libGoldfishLocal.so", "--service", "process"],
      environment: ["GOLDFISH_RUNNER": ""], cwd: work)
    #expect(local.status == 0, "\(local.stdout)\(local.stderr)")
  }
}
