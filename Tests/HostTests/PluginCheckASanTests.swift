import Foundation
import PluginSupport
import Testing

@testable import GoldfishTestSupport

/// The ASan recipe of docs/plugins.md ("Checking under AddressSanitizer"), run as written: the
/// Swift host with libasan preloaded checks a plugin built with -fsanitize=address.
@Suite("plugins check under AddressSanitizer")
struct PluginCheckASanTests {
  static var libasan: String {
    Command.run(["/usr/bin/cc", "-print-file-name=libasan.so"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
  }

  static func build(_ source: String, into folder: String) -> String {
    let output = folder + "/lib" + ((source as NSString).lastPathComponent as NSString).deletingPathExtension + ".so"
    let compile = Command.run([
      "/usr/bin/cc", "-std=c99", "-shared", "-fPIC", "-g", "-fsanitize=address", "-fno-omit-frame-pointer",
      "-fvisibility=hidden", "-I", TestEnvironment.packageRoot + "/Sources/PluginABI/include", "-o", output, source,
    ])
    #expect(compile.status == 0, "\(compile.stderr)")
    return output
  }

  static func check(_ plugin: String, _ arguments: [String], cwd: String) -> CommandResult {
    Command.goldfish(
      ["plugins", "check", plugin] + arguments,
      environment: ["LD_PRELOAD": libasan, "ASAN_OPTIONS": "detect_leaks=0", "SWIFT_BACKTRACE": "enable=no"], cwd: cwd)
  }

  @Test("a clean plugin passes with libasan preloaded: the host itself gives ASan nothing to report")
  func cleanPluginPasses() {
    let folder = TestEnvironment.temporaryFolder("asan-cdir")
    let plugin = Self.build(TestEnvironment.packageRoot + "/Examples/CPlugin/cdir.c", into: folder)
    let result = Self.check(plugin, ["--config", #"{"root": "objects"}"#], cwd: folder)
    #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    #expect(!result.stderr.contains("AddressSanitizer"), "\(result.stderr)")
  }

  @Test("a heap overflow in the plugin stops the check with ASan's report naming the function")
  func overflowIsFound() {
    let folder = TestEnvironment.temporaryFolder("asan-overflow")
    let plugin = Self.build(TestEnvironment.packageRoot + "/Tests/Fixtures/asan/overflow_storage.c", into: folder)
    let result = Self.check(plugin, [], cwd: folder)
    #expect(result.status != 0)
    #expect(result.stderr.contains("AddressSanitizer: heap-buffer-overflow"), "\(result.stderr)")
    #expect(result.stderr.contains("uri_for"), "ASan's stack names the plugin's function: \(result.stderr)")
  }
}
