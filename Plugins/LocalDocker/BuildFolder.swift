import Foundation
import PluginKit
import PluginSupport

/// One image build's folder: request.json, build.log (the builder's output as it arrives)
/// and result.json (written last). Builds run on a thread of the process that started them;
/// a build without a result whose process is gone was interrupted.
struct BuildFolder {
  let path: String

  var logPath: String { path + "/build.log" }
  var resultPath: String { path + "/result.json" }

  init(root: String, id: String) throws(PluginError) {
    guard id.hasPrefix("build-"), id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
      throw PluginError(.notFound, "no image build \(id.debugDescription)")
    }
    path = root + "/" + id
  }

  var exists: Bool { FileManager.default.fileExists(atPath: path + "/owner") }

  var result: ImageBuildStatus? {
    guard let data = FileManager.default.contents(atPath: resultPath) else { return nil }
    return try? JSONCoding.decode(ImageBuildStatus.self, from: String(decoding: data, as: UTF8.self))
  }

  /// Records which process runs the build, so another process can tell it was interrupted.
  func create() throws(PluginError) {
    try POSIXFile.makeDirectories(path)
    try write("owner", "\(getpid()) \(ProcessIdentity.stat(getpid())?.startTime ?? 0)")
    _ = FileManager.default.createFile(atPath: logPath, contents: nil)
  }

  var ownerAlive: Bool {
    guard let data = FileManager.default.contents(atPath: path + "/owner") else { return false }
    let parts = String(decoding: data, as: UTF8.self).split(separator: " ")
    guard parts.count == 2, let pid = Int32(parts[0]), let start = UInt64(parts[1]) else { return false }
    return ProcessIdentity(pid: pid, startTime: start).isAlive
  }

  func finish(_ status: ImageBuildStatus) {
    try? write("result.json", (try? JSONCoding.encode(status)) ?? "{}")
  }

  func appendLog(_ text: String) {
    guard let handle = FileHandle(forWritingAtPath: logPath) else { return }
    handle.seekToEndOfFile()
    handle.write(Data(text.utf8))
    try? handle.close()
  }

  private func write(_ name: String, _ text: String) throws(PluginError) {
    let bytes = Array(text.utf8)
    let file = path + "/" + name
    try POSIXFile.atomicWrite(to: file) { (fd) throws(PluginError) in try POSIXFile.writeAll(fd, bytes, file) }
  }
}
