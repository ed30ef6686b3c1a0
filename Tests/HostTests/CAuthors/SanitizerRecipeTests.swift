import Foundation
import Testing

@testable import GoldfishTestSupport

/// The ASan/UBSan recipe of docs/plugins.md ("Sanitizers"), run as written: a plugin built with
/// -fsanitize=address,undefined, checked by the (uninstrumented) Swift host with the runtime
/// preloaded and no ASAN_OPTIONS.
@Suite("the sanitizer recipe for C plugins")
struct SanitizerRecipeTests {
  static func build(_ source: String, into folder: String, name: String) throws -> String {
    let library = folder + "/lib\(name).so"
    let compile = Command.run(
      [CCompiler.gcc, "-std=c99", "-shared", "-fPIC", "-g", "-fno-omit-frame-pointer"] + [
        "-fsanitize=address,undefined", "-I", CCompiler.include, source, "-o", library,
      ])
    #expect(compile.status == 0, "\(compile.stderr)")
    try #require(compile.status == 0)
    return library
  }

  static func check(_ library: String, _ extra: [String] = [], cwd: String) -> CommandResult {
    let runtime = Command.run([CCompiler.gcc, "-print-file-name=libasan.so"]).stdout
      .trimmingCharacters(in: .whitespacesAndNewlines)
    return Command.goldfish(
      ["plugins", "check", library] + extra,
      environment: ["LD_PRELOAD": runtime, "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1"], cwd: cwd)
  }

  @Test("both C examples pass plugins check under ASan and UBSan, leak checking on")
  func examplesAreClean() throws {
    let folder = TestEnvironment.temporaryFolder("asan")
    let cdir = try Self.build(TestEnvironment.packageRoot + "/Examples/CPlugin/cdir.c", into: folder, name: "cdir")
    let crun = try Self.build(TestEnvironment.packageRoot + "/Examples/CRunBackend/crun.c", into: folder, name: "crun")
    for (library, extra) in [(cdir, ["--config", #"{"root": "objects"}"#]), (crun, [])] {
      let result = Self.check(library, extra, cwd: folder)
      #expect(result.status == 0, "\(library): \(result.stdout)\(result.stderr)")
      #expect(result.stdout.contains("cases passed"), "\(result.stdout)")
      for report in ["AddressSanitizer", "LeakSanitizer", "runtime error"] {
        #expect(!result.stderr.contains(report), "\(library): \(result.stderr)")
      }
    }
  }

  @Test("a heap overflow in a plugin is reported with its frame, and the check fails")
  func overflowIsCaught() throws {
    let folder = TestEnvironment.temporaryFolder("asan-bug")
    let source = folder + "/overflow.c"
    try Self.overflowingPlugin.write(toFile: source, atomically: true, encoding: .utf8)
    let library = try Self.build(source, into: folder, name: "overflow")
    let result = Self.check(library, cwd: folder)
    #expect(result.status != 0, "\(result.stdout)")
    #expect(result.stderr.contains("ERROR: AddressSanitizer: heap-buffer-overflow"), "\(result.stderr)")
    #expect(result.stderr.contains("in overflow_uri_for"), "\(result.stderr)")
  }

  /// An object storage whose uri_for reads one byte past its buffer.
  static let overflowingPlugin = #"""
    #include <stdlib.h>
    #include <string.h>
    #include "goldfish_json.h"
    #include "goldfish_plugin.h"

    static int32_t overflow_open(const gf_service *s, const char *config, const char *context,
                                 void **instance, char **error_json) {
      (void)s, (void)config, (void)context, (void)error_json;
      *instance = NULL;
      return GF_OK;
    }
    static void overflow_close(void *instance) { (void)instance; }
    static int32_t overflow_uri_for(void *instance, const char *request_json, char **response_json,
                                    char **error_json) {
      char *copy = malloc(4);
      volatile char past;
      (void)instance, (void)request_json, (void)response_json;
      memcpy(copy, "abcd", 4);
      past = copy[4];
      (void)past;
      free(copy);
      return gfj_fail(error_json, "internal", 0, "unreachable under ASan");
    }
    static const gf_object_storage_v1 table = {
        .struct_size = sizeof(gf_object_storage_v1), .uri_for = overflow_uri_for};
    static const gf_service services[] = {{
        .struct_size = sizeof(gf_service), .kind = GF_KIND_OBJECT_STORAGE, .name = "overflow",
        .capabilities_json = "{\"concurrency\":\"parallel\",\"implemented\":true,\"schemes\":[\"overflow\"]}",
        .open = overflow_open, .close = overflow_close, .table = &table}};
    static const gf_plugin_descriptor descriptor = {
        .magic = GF_PLUGIN_MAGIC, .struct_size = sizeof(gf_plugin_descriptor),
        .abi_major = GF_ABI_MAJOR, .abi_minor = GF_ABI_MINOR, .name = "overflow",
        .version = "1.0.0", .description = "reads past a buffer", .free = free,
        .service_count = 1, .services = services};
    GF_PLUGIN_EXPORT const gf_plugin_descriptor *goldfish_plugin_entry(const gf_host_api *host) {
      (void)host;
      return &descriptor;
    }
    """#
}
