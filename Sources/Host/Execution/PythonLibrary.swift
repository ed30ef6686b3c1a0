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

  /// Stages run with PYTHONDONTWRITEBYTECODE (a stage must not write into the library or its
  /// code), so without bytecode beside the library every stage compiled goldfish.io from
  /// source again: most of the ~110 ms its import took. The library's bytecode is written once
  /// (`compileall`, as pip does when it installs a package), and Python checks each .pyc
  /// against its source's mtime and size, so an edited library is never run stale. A folder
  /// goldfish cannot write (an installed, read-only library) is left as it is.
  static func precompile(_ folder: String) {
    let package = folder + "/goldfish/io"
    guard !FileManager.default.fileExists(atPath: package + "/__pycache__"),
      FileManager.default.isWritableFile(atPath: package)
    else { return }
    _ = try? ReviewerProcess.run(["python3", "-m", "compileall", "-q", folder + "/goldfish"], timeout: 60)
  }

  private static func exists(_ folder: String) -> Bool {
    FileManager.default.fileExists(atPath: folder + "/goldfish/io/__init__.py")
  }
}
