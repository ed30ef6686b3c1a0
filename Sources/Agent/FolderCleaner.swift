import Foundation
import PluginKit
import PluginSupport

/// Empties a reused folder between jobs: every entry, dotfiles too (upstream §5.7 #27),
/// except the preserved paths of this folder's own root. Symlinks are removed, never followed.
enum FolderCleaner {
  static func clean(_ folder: String, root: PreservePath.Root, keep: [PreservePath]) throws(PluginError) {
    try POSIXFile.makeDirectories(folder)
    try clean(folder, relative: [], root: root, keep: keep.filter { $0.root == root })
  }

  private static func clean(
    _ folder: String, relative: [String], root: PreservePath.Root, keep: [PreservePath]
  )
    throws(PluginError)
  {
    let names: [String]
    do {
      names = try FileManager.default.contentsOfDirectory(atPath: folder)
    } catch {
      throw PluginError(.io, "cannot list \(folder) to clean it between jobs: \(error.localizedDescription)")
    }
    for name in names {
      let path = folder + "/" + name
      let inner = relative + [name]
      if keep.contains(where: { $0.covers(inner, under: root) }) { continue }
      let isRealFolder = (POSIXFile.fileInfo(path).map { ($0.st_mode & S_IFMT) == S_IFDIR }) ?? false
      if isRealFolder && keep.contains(where: { $0.leadsTo(inner, under: root) }) {
        try clean(path, relative: inner, root: root, keep: keep)
        continue
      }
      do {
        try FileManager.default.removeItem(atPath: path)
      } catch {
        throw PluginError(.io, "cannot remove \(path) left by the previous job: \(error.localizedDescription)")
      }
    }
  }
}
