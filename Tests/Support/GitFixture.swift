import Foundation
import Host

/// Real repositories and real folders in a temp directory, for the git layer tests; removed when
/// the fixture goes away.
final class GitFixture: @unchecked Sendable {
  let base: String
  let repo: GitRepository
  var repoPath: String { base + "/dev.git" }
  var work: String { base + "/work" }

  deinit { try? FileManager.default.removeItem(atPath: base) }

  init(_ label: String = "git") throws {
    base = URL(fileURLWithPath: TestEnvironment.temporaryFolder(label)).resolvingSymlinksInPath().path
    repo = try GitRepository.create(at: base + "/dev.git")
    try FileManager.default.createDirectory(atPath: base + "/work", withIntermediateDirectories: true)
  }

  /// Writes `content` at `relative` under `root` (default: the work folder), creating folders.
  func write(_ relative: String, _ content: String, executable: Bool = false, in root: String? = nil) throws {
    try writeData(relative, Data(content.utf8), executable: executable, in: root)
  }

  func writeData(_ relative: String, _ content: Data, executable: Bool = false, in root: String? = nil) throws {
    let path = (root ?? work) + "/" + relative
    try FileManager.default.createDirectory(
      atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try content.write(to: URL(fileURLWithPath: path))
    try FileManager.default.setAttributes([.posixPermissions: executable ? 0o755 : 0o644], ofItemAtPath: path)
  }

  func remove(_ relative: String, in root: String? = nil) throws {
    try FileManager.default.removeItem(atPath: (root ?? work) + "/" + relative)
  }

  @discardableResult
  func commit(
    _ branch: String = "goldfish/exp", message: String = "save", ignore: IgnoreRules = .standard,
    maxFileBytes: Int64? = nil, excluding: Set<String> = [".goldfish-mount", "STATE.md"], from root: String? = nil
  ) throws -> CommitResult {
    try repo.commitDirectory(
      root ?? work, branch: branch, message: message, ignore: ignore, maxFileBytes: maxFileBytes,
      excluding: excluding)
  }

  /// Every regular file and link under `root`, relative path → contents (a link: "-> target").
  static func snapshot(_ root: String) -> [String: String] {
    var result: [String: String] = [:]
    guard let walker = FileManager.default.enumerator(atPath: root) else { return result }
    while let rel = walker.nextObject() as? String {
      let path = root + "/" + rel
      if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path) {
        result[rel] = "-> " + target
        continue
      }
      var isDirectory: ObjCBool = false
      if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
        result[rel + "/"] = ""
        continue
      }
      result[rel] = (try? String(contentsOfFile: path, encoding: .utf8)) ?? "<binary>"
    }
    return result
  }

  static func isExecutable(_ path: String) -> Bool {
    let mode = (try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? 0
    return mode & 0o100 != 0
  }

  /// Loose objects in the store: to prove an operation wrote nothing.
  var objectCount: Int {
    (FileManager.default.enumerator(atPath: repoPath + "/objects")?.allObjects as? [String])?
      .filter { $0.count == 41 && $0.dropFirst(2).first == "/" }.count ?? 0
  }

  func fileNames(in commit: CommitID, _ paths: [String]) throws -> [String] {
    try paths.filter { try repo.readFile(at: $0, in: commit) != nil }
  }
}

/// The GoldfishError thrown by `body`, or nil.
func goldfishError(_ body: () throws -> Void) -> GoldfishError? {
  do {
    try body()
    return nil
  } catch let error as GoldfishError {
    return error
  } catch {
    return GoldfishError(.ioFailed, "unexpected \(error)")
  }
}
