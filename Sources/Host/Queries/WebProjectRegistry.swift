import Foundation

/// The projects `goldfish web` can show: every project the CLI or MCP server opened registers
/// its root here (one line each, in `$HOME/.goldfish/web/projects`), as upstream's web UI learns
/// of projects. Appending a short line is atomic, so concurrent openers never tear the file.
public enum WebProjectRegistry {
  /// `$HOME/.goldfish/web`, where the web server keeps its registry, pid file and token.
  public static var folder: String {
    let home = ProcessInfo.processInfo.environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
    return home + "/.goldfish/web"
  }

  static var file: String { folder + "/projects" }

  /// Notes that the project at `root` was opened. Best effort: a registry that cannot be
  /// written must never stop a project from opening.
  public static func noteOpened(_ root: String) {
    let root = URL(fileURLWithPath: root).standardizedFileURL.path
    guard !root.contains("\n"), !listed().contains(root) else { return }
    try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let descriptor = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
    guard descriptor >= 0 else { return }
    defer { close(descriptor) }
    let line = Array((root + "\n").utf8)
    _ = line.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
  }

  /// Every root registered, once each, in the order they were first opened.
  static func listed() -> [String] {
    guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return [] }
    var seen = Set<String>()
    return text.split(separator: "\n").map(String.init).filter { seen.insert($0).inserted }
  }

  /// The registered roots that still hold a project (a deleted test project is left out).
  public static func roots() -> [String] {
    listed().filter { FileManager.default.fileExists(atPath: $0 + "/goldfish.yaml") }
  }
}
