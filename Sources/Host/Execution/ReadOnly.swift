import Foundation

/// Makes a run's copy of the code read-only, so a stage cannot change what was versioned.
enum ReadOnly {
  static func apply(_ folder: String) {
    guard let walker = FileManager.default.enumerator(atPath: folder) else { return }
    var paths: [String] = []
    while let item = walker.nextObject() as? String { paths.append(folder + "/" + item) }
    for path in paths.reversed() + [folder] {
      var info = stat()
      guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) != S_IFLNK else { continue }
      chmod(path, info.st_mode & ~(S_IWUSR | S_IWGRP | S_IWOTH))
    }
  }

  /// Gives write permission back so a folder can be removed.
  static func undo(_ folder: String) {
    guard let walker = FileManager.default.enumerator(atPath: folder) else { return }
    chmod(folder, 0o755)
    while let item = walker.nextObject() as? String {
      var info = stat()
      let path = folder + "/" + item
      guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) != S_IFLNK else { continue }
      chmod(path, info.st_mode | S_IWUSR)
    }
  }
}
