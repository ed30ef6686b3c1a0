import Foundation

/// The projects `goldfish web` can show: every project the CLI or MCP server opened registers
/// its root here (one line each, in `$HOME/.goldfish/web/projects`), as upstream's web UI learns
/// of projects. Writers take `projects.lock` (flock), so an append never lands in a file being
/// rewritten; the file is compacted (duplicates and folders that no longer hold a project
/// dropped, written to a temp file and renamed over) whenever a new root is noted.
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
    locked { rewrite(adding: root) }
  }

  /// Drops duplicate lines and roots that no longer hold a project.
  public static func compact() {
    guard FileManager.default.fileExists(atPath: file) else { return }
    locked { rewrite(adding: nil) }
  }

  /// Every root registered, once each, in the order they were first opened.
  static func listed() -> [String] {
    guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return [] }
    var seen = Set<String>()
    return text.split(separator: "\n").map(String.init).filter { seen.insert($0).inserted }
  }

  /// The registered roots that still hold a project (a deleted test project is left out).
  public static func roots() -> [String] { listed().filter(holdsProject) }

  static func holdsProject(_ root: String) -> Bool { FileManager.default.fileExists(atPath: root + "/goldfish.yaml") }

  /// Runs `body` holding the registry's lock; without the lock (a read-only home) it does nothing.
  private static func locked(_ body: () -> Void) {
    let descriptor = open(folder + "/projects.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
    guard descriptor >= 0 else { return }
    defer { close(descriptor) }
    guard flock(descriptor, LOCK_EX) == 0 else { return }
    body()
  }

  /// The live roots (and `root`, once) written whole and renamed over the registry.
  private static func rewrite(adding root: String?) {
    var roots = roots()
    if let root, !roots.contains(root) { roots.append(root) }
    let text = roots.map { $0 + "\n" }.joined()
    if (try? String(contentsOfFile: file, encoding: .utf8)) == text { return }
    let temporary = file + ".\(getpid()).tmp"
    guard
      FileManager.default.createFile(
        atPath: temporary, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
    else { return }
    if rename(temporary, file) != 0 { unlink(temporary) }
  }
}
