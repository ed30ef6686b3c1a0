import Foundation

/// Where a project lives: the folder holding goldfish.yaml.
public struct ProjectLocation: Sendable, Equatable {
  public var root: String
  public var configPath: String { root + "/goldfish.yaml" }

  public init(root: String) { self.root = root }

  /// An explicit path must hold goldfish.yaml; otherwise the start folder and up to ten
  /// parents are searched, as upstream does.
  public static func find(
    explicit: String?, start: String = FileManager.default.currentDirectoryPath
  )
    throws(GoldfishError) -> ProjectLocation?
  {
    let manager = FileManager.default
    if let explicit {
      let root = URL(fileURLWithPath: explicit, relativeTo: URL(fileURLWithPath: start)).standardizedFileURL.path
      guard manager.fileExists(atPath: root + "/goldfish.yaml") else {
        throw GoldfishError(
          .configNotFound, "\(root) is not a Goldfish project: it has no goldfish.yaml",
          hint: "run `goldfish init NAME --path \(explicit)` or point --project at a project folder")
      }
      return ProjectLocation(root: root)
    }
    var folder = URL(fileURLWithPath: start).standardizedFileURL
    for _ in 0...10 {
      if manager.fileExists(atPath: folder.path + "/goldfish.yaml") {
        return ProjectLocation(root: folder.path)
      }
      let parent = folder.deletingLastPathComponent()
      if parent.path == folder.path { break }
      folder = parent
    }
    return nil
  }
}
