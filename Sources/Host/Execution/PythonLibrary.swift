import Foundation

/// Where the stage IO library (`import goldfish.io`) lives: $GOLDFISH_PYTHON_PATH, the
/// installed `lib/goldfish/python` beside the executable, or `python/` of a source checkout.
enum PythonLibrary {
  static func folder(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
    if let configured = environment["GOLDFISH_PYTHON_PATH"], exists(configured) { return configured }
    guard let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else {
      return nil
    }
    var folder = URL(fileURLWithPath: executable).deletingLastPathComponent()
    let installed = folder.appendingPathComponent("../lib/goldfish/python").standardizedFileURL.path
    if exists(installed) { return installed }
    for _ in 0..<6 {
      let candidate = folder.appendingPathComponent("python").path
      if exists(candidate) { return candidate }
      folder = folder.deletingLastPathComponent()
    }
    return nil
  }

  private static func exists(_ folder: String) -> Bool {
    FileManager.default.fileExists(atPath: folder + "/goldfish/io/__init__.py")
  }
}
