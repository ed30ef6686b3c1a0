import Foundation

@testable import GoldfishTestSupport

/// The C compilers a C plugin author is likely to use: gcc (as cc) and the clang of the Swift
/// toolchain, found on PATH like `swift` itself.
enum CCompiler {
  static let gcc = "/usr/bin/cc"

  static var clang: String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
    return path.split(separator: ":").map { $0 + "/clang" }.first { FileManager.default.isExecutableFile(atPath: $0) }
  }

  /// The flags the header promises to be clean under.
  static let strict = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"]
  static let sanitizers = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-g"]

  static var include: String { TestEnvironment.packageRoot + "/Sources/PluginABI/include" }
}
