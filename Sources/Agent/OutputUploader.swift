import Foundation
import PluginKit
import PluginSupport

/// Uploads a job's outputs folder to `runs/<run_id>/outputs/` (when the job did not write
/// its outputs in place). Files only; symlinks are not followed out of the folder.
enum OutputUploader {
  static func upload(_ folder: String, to prefix: String, store: any MailboxStore) throws(PluginError) -> Int {
    guard let walker = FileManager.default.enumerator(atPath: folder) else { return 0 }
    var count = 0
    while let relative = walker.nextObject() as? String {
      let path = folder + "/" + relative
      guard let info = POSIXFile.fileInfo(path), (info.st_mode & S_IFMT) == S_IFREG else { continue }
      try store.putFile(prefix + "/" + relative, from: path)
      count += 1
    }
    return count
  }
}
