import Foundation
import Testing

@testable import GoldfishTestSupport

/// goldfish_json.h, the JSON reader and writer shipped beside goldfish_plugin.h for C plugin
/// authors: Tests/CJSON/goldfish_json_test.c (valid and invalid documents, deep nesting,
/// truncated escapes, invalid UTF-8, huge numbers, every truncation, seeded mutations) built
/// strictly with gcc and clang, and run under AddressSanitizer and UndefinedBehaviorSanitizer.
@Suite("goldfish_json.h for C authors")
struct GoldfishJSONTests {
  static let source = TestEnvironment.packageRoot + "/Tests/CJSON/goldfish_json_test.c"

  static func buildAndRun(_ compiler: String, extra: [String]) throws -> CommandResult {
    let folder = TestEnvironment.temporaryFolder("cjson")
    let binary = folder + "/json_test"
    let compile = Command.run([compiler] + CCompiler.strict + extra + ["-I", CCompiler.include, source, "-o", binary])
    #expect(compile.status == 0, "\(compiler) \(extra): \(compile.stderr)")
    try #require(compile.status == 0)
    // Not an error for this program, which frees everything: keep leak checking on.
    return Command.run([binary], environment: ["ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0"])
  }

  @Test("gcc: no warning under -Wall -Wextra -Werror -pedantic, and every case passes with ASan and UBSan")
  func gccWithSanitizers() throws {
    let result = try Self.buildAndRun(CCompiler.gcc, extra: CCompiler.sanitizers)
    #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    #expect(result.stdout.contains(" checks, 0 failed"), "\(result.stdout)")
    #expect(!result.stderr.contains("runtime error"), "\(result.stderr)")
  }

  @Test("clang: no warning under -Wall -Wextra -Werror -pedantic, and every case passes optimised")
  func clangOptimised() throws {
    let clang = try #require(CCompiler.clang, "clang (of the Swift toolchain) is not on PATH")
    let result = try Self.buildAndRun(clang, extra: ["-O2", "-Wshadow", "-Wconversion", "-Wno-sign-conversion"])
    #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    #expect(result.stdout.contains(" checks, 0 failed"), "\(result.stdout)")
  }
}
