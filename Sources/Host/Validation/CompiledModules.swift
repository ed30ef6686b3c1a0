import Foundation
import PluginSupport

/// Modules known to compile: one empty file per (interpreter, module name, module bytes) that
/// compiled, named by their SHA-256. The preflight's compile check is a Python process start
/// on every run; the same bytes under the same interpreter compile the same way, so only a
/// module that changed (or a new or replaced interpreter) is compiled again. Failures are never
/// kept: their message comes from the compiler each time. The folder is a shortcut only; losing
/// it costs one compile per module.
struct CompiledModules {
  let folder: String
  /// Entries beyond this are cleared at once (each edit of a module adds one).
  static let limit = 2_048

  /// The entry's key, nil when the interpreter cannot be found (then nothing is kept).
  func key(python: String, shown: String, source: Data) -> String? {
    guard let interpreter = Self.identity(of: python) else { return nil }
    var hasher = SHA256Hasher()
    hasher.update(Array("\(interpreter)\u{0}\(shown)\u{0}".utf8))
    source.withUnsafeBytes { hasher.update($0) }
    return hasher.finalizeHex()
  }

  func compiled(_ key: String) -> Bool {
    access(folder + "/" + key, F_OK) == 0
  }

  func remember(_ key: String) {
    let manager = FileManager.default
    if let entries = try? manager.contentsOfDirectory(atPath: folder), entries.count >= Self.limit {
      try? manager.removeItem(atPath: folder)
    }
    try? manager.createDirectory(atPath: folder, withIntermediateDirectories: true)
    _ = manager.createFile(atPath: folder + "/" + key, contents: nil)
  }

  /// The interpreter's real path with its inode, size, mtime and ctime: an upgrade in place
  /// changes them, a different `python3` first on PATH is another path.
  static func identity(of python: String) -> String? {
    let candidates =
      python.contains("/")
      ? [python]
      : (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/\(python)" }
    for candidate in candidates where access(candidate, X_OK) == 0 {
      guard let real = realpath(candidate, nil) else { continue }
      defer { free(real) }
      var info = stat()
      guard stat(real, &info) == 0 else { continue }
      return [
        String(cString: real), "\(info.st_ino)", "\(info.st_size)", "\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)",
        "\(info.st_ctim.tv_sec).\(info.st_ctim.tv_nsec)",
      ].joined(separator: "|")
    }
    return nil
  }
}
