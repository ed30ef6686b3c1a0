import Foundation
import PluginKit

/// Finds goldfish-runner: configured path, $GOLDFISH_RUNNER, next to this plugin, next to
/// the goldfish executable.
enum RunnerLocator {
  static let name = "goldfish-runner"

  static func find(configured: String?) throws(PluginError) -> String {
    var candidates: [String] = []
    if let configured { candidates.append(configured) }
    if let fromEnvironment = ProcessInfo.processInfo.environment["GOLDFISH_RUNNER"] {
      candidates.append(fromEnvironment)
    }
    if let pluginFolder = pluginFolder() {
      candidates += [pluginFolder + "/" + name, pluginFolder + "/../../../bin/" + name]
    }
    if let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
      candidates.append(URL(fileURLWithPath: executable).deletingLastPathComponent().path + "/" + name)
    }
    if let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) {
      return found
    }
    throw PluginError(
      .invalidArgument,
      "cannot find \(name), which supervises local runs; looked in: \(candidates.joined(separator: ", "))",
      detail: ["hint": "install it next to goldfish or set process.runner in goldfish.yaml"])
  }

  private static func pluginFolder() -> String? {
    PluginLocation.folder
  }
}
