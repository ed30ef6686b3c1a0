import Foundation
import PluginKit
import PluginSupport

/// goldfish-agent reaches each VM by itself: the host uploads its own build to the mailbox
/// bucket under the binary's SHA-256 (`agent/<sha256>/goldfish-agent`, once per content), and
/// the startup script downloads it with the VM's token and refuses to run it unless its
/// SHA-256 matches the one in the instance metadata.
struct AgentUpload {
  struct Placed: Equatable {
    var url: String
    var sha256: String
  }

  let settings: GCESettings
  let mailbox: Mailbox

  /// Hashes of binaries already seen by this process, keyed by path, size and mtime.
  nonisolated(unsafe) private static var hashes: [String: String] = [:]
  private static let lock = NSLock()

  /// gce.agent in goldfish.yaml, else next to this plugin or the goldfish executable.
  func binary() throws(PluginError) -> String {
    var candidates: [String] = []
    if let configured = settings.agentPath { candidates.append(configured) }
    if let folder = PluginLocation.folder {
      candidates += [folder + "/goldfish-agent", folder + "/../../../bin/goldfish-agent"]
    }
    if let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
      candidates.append(URL(fileURLWithPath: executable).deletingLastPathComponent().path + "/goldfish-agent")
    }
    guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
      throw PluginError(
        .invalidArgument,
        "cannot find goldfish-agent, which the gce backend uploads for its VMs; looked in: "
          + candidates.joined(separator: ", "),
        detail: ["hint": "install it next to goldfish or set gce.agent in goldfish.yaml"])
    }
    return found
  }

  static func sha256(of path: String) throws(PluginError) -> String {
    guard let info = POSIXFile.fileInfo(path) else { throw POSIXFile.error(errno, "cannot read", path) }
    let key = "\(path)|\(info.st_size)|\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
    lock.lock()
    let known = hashes[key]
    lock.unlock()
    if let known { return known }
    guard let data = FileManager.default.contents(atPath: path) else {
      throw PluginError(.io, "cannot read goldfish-agent at \(path)")
    }
    let hash = SHA256Hasher.hex(of: data)
    lock.lock()
    hashes[key] = hash
    lock.unlock()
    return hash
  }

  static func key(sha256: String) -> String { "agent/\(sha256)/goldfish-agent" }

  /// Uploads the agent unless this content is already there; returns where VMs fetch it.
  func place() throws(PluginError) -> Placed {
    let path = try binary()
    let hash = try Self.sha256(of: path)
    if let uri = settings.agentURI { return Placed(url: downloadURL(uri), sha256: hash) }
    let key = Self.key(sha256: hash)
    if try mailbox.stat(key) == nil { try mailbox.putFile(key, path: path) }
    return Placed(url: downloadURL(mailbox.uri(key)), sha256: hash)
  }

  /// A gs:// URI as the JSON API's media download, on the endpoint the mailbox uses.
  func downloadURL(_ uri: String) -> String {
    guard uri.hasPrefix("gs://") else { return uri }
    let path = uri.dropFirst(5)
    let slash = path.firstIndex(of: "/") ?? path.endIndex
    let bucket = String(path[..<slash])
    let object = slash < path.endIndex ? String(path[path.index(after: slash)...]) : ""
    var root = settings.storageEndpoint ?? "https://storage.googleapis.com"
    while root.hasSuffix("/") { root.removeLast() }
    return root + "/storage/v1/b/\(bucket)/o/" + GCSPath.encode(object) + "?alt=media"
  }

  /// Where the startup script reports a VM that cannot run the agent (no Docker, a bad
  /// download): `workers/<id>/boot_error.txt`, a media upload on the mailbox's endpoint.
  func bootErrorUploadURL(worker: String) throws(PluginError) -> String {
    var root = settings.storageEndpoint ?? "https://storage.googleapis.com"
    while root.hasSuffix("/") { root.removeLast() }
    let name = mailbox.objectName(try Self.bootErrorKey(worker: worker))
    return root + "/upload/storage/v1/b/\(mailbox.api.settings.bucket)/o?uploadType=media&name=" + GCSPath.encode(name)
  }

  static func bootErrorKey(worker: String) throws(PluginError) -> String {
    try WorkerIdentifier.validate(worker, "worker id")
    return "workers/\(worker)/boot_error.txt"
  }
}
