import Foundation
import Host
import Testing

@testable import GoldfishTestSupport

@Suite("Path confinement")
struct PathConfinementTests {
  /// A root with a file, a folder, and a sibling folder outside the root.
  func layout() throws -> (root: String, outside: String) {
    let base = URL(fileURLWithPath: TestEnvironment.temporaryFolder("confine")).resolvingSymlinksInPath().path
    let root = base + "/root"
    let outside = base + "/outside"
    for folder in [root + "/data", outside] {
      try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }
    try "x".write(toFile: root + "/data/a.txt", atomically: true, encoding: .utf8)
    try "secret".write(toFile: outside + "/secret.txt", atomically: true, encoding: .utf8)
    return (root, outside)
  }

  func refusal(_ relative: String, _ root: String) -> GoldfishError? {
    do {
      _ = try PathConfinement.resolve(relative, under: root)
      return nil
    } catch {
      return error
    }
  }

  @Test("a relative path resolves under the root, existing or not")
  func plain() throws {
    let (root, _) = try layout()
    #expect(try PathConfinement.resolve("data/a.txt", under: root) == root + "/data/a.txt")
    #expect(try PathConfinement.resolve("./data//new/file.txt", under: root) == root + "/data/new/file.txt")
    #expect(try PathConfinement.resolve("data/../data/a.txt", under: root) == root + "/data/a.txt")
  }

  @Test("absolute paths, empty paths and NUL bytes are refused")
  func refusedForms() throws {
    let (root, _) = try layout()
    for (path, reason) in [("/etc/passwd", "absolute"), ("", "empty"), ("data/a\0.txt", "nul")] {
      let error = try #require(refusal(path, root))
      #expect(error.code == .pathOutsideRoot)
      #expect(error.detail["reason"] == .string(reason))
    }
  }

  @Test(".. may not climb above the root, even to come back")
  func dotDot() throws {
    let (root, _) = try layout()
    for path in ["..", "../outside/secret.txt", "data/../../x", "../root/data/a.txt"] {
      let error = try #require(refusal(path, root), "\(path)")
      #expect(error.detail["reason"] == "dotdot")
      #expect(error.message.contains("climbs above the root"))
    }
  }

  @Test("a symlink to a place inside the root is followed")
  func insideLink() throws {
    let (root, _) = try layout()
    try FileManager.default.createSymbolicLink(atPath: root + "/alias", withDestinationPath: "data")
    try FileManager.default.createSymbolicLink(atPath: root + "/data/up", withDestinationPath: "../data/a.txt")
    #expect(try PathConfinement.resolve("alias/a.txt", under: root) == root + "/data/a.txt")
    #expect(try PathConfinement.resolve("data/up", under: root) == root + "/data/a.txt")
  }

  @Test(
    "a symlink anywhere in the path that leads outside is refused",
    arguments: ["absolute", "relative", "file", "chain"])
  func outsideLink(_ form: String) throws {
    let (root, outside) = try layout()
    let path: String
    switch form {
    case "absolute":
      try FileManager.default.createSymbolicLink(atPath: root + "/data/out", withDestinationPath: outside)
      path = "data/out/secret.txt"
    case "relative":
      try FileManager.default.createSymbolicLink(atPath: root + "/data/out", withDestinationPath: "../../outside")
      path = "data/out/new-file.txt"
    case "file":
      try FileManager.default.createSymbolicLink(
        atPath: root + "/leak.txt", withDestinationPath: outside + "/secret.txt")
      path = "leak.txt"
    default:
      // inside → inside → outside
      try FileManager.default.createSymbolicLink(atPath: root + "/one", withDestinationPath: "two")
      try FileManager.default.createSymbolicLink(atPath: root + "/two", withDestinationPath: outside)
      path = "one/secret.txt"
    }
    let error = try #require(refusal(path, root))
    #expect(error.code == .pathOutsideRoot)
    #expect(error.detail["reason"] == "symlink", "\(error)")
    #expect(error.message.contains("symbolic link"))
  }

  @Test("a dangling symlink that would create a file outside is refused")
  func danglingLink() throws {
    let (root, outside) = try layout()
    try FileManager.default.createSymbolicLink(atPath: root + "/new.txt", withDestinationPath: outside + "/created.txt")
    #expect(refusal("new.txt", root)?.detail["reason"] == "symlink")
  }

  @Test("a symlink loop is refused instead of hanging")
  func loop() throws {
    let (root, _) = try layout()
    try FileManager.default.createSymbolicLink(atPath: root + "/a", withDestinationPath: "b")
    try FileManager.default.createSymbolicLink(atPath: root + "/b", withDestinationPath: "a")
    #expect(refusal("a/x", root)?.detail["reason"] == "symlink_loop")
  }

  @Test("isInside follows links on both sides")
  func isInside() throws {
    let (root, outside) = try layout()
    let base = URL(fileURLWithPath: root).deletingLastPathComponent().path
    try FileManager.default.createSymbolicLink(atPath: base + "/root-link", withDestinationPath: root)
    try FileManager.default.createSymbolicLink(atPath: root + "/out", withDestinationPath: outside)
    #expect(PathConfinement.isInside(root + "/data/a.txt", root: root))
    #expect(PathConfinement.isInside(root, root: root))
    #expect(PathConfinement.isInside(base + "/root-link/data/a.txt", root: root))
    #expect(PathConfinement.isInside(root + "/data/missing/deeper", root: base + "/root-link"))
    #expect(!PathConfinement.isInside(outside + "/secret.txt", root: root))
    #expect(!PathConfinement.isInside(root + "/out/secret.txt", root: root))
    #expect(!PathConfinement.isInside(root + "/../outside", root: root))
    #expect(!PathConfinement.isInside(base + "/rootx", root: root), "a shared prefix is not containment")
  }
}
