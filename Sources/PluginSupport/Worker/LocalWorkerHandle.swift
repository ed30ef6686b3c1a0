import PluginKit

/// The fields every local worker handle carries (process and docker backends): its id, its own
/// folder (which must end in that id, so a forged handle cannot point a delete elsewhere) and
/// its folder mailbox.
public struct LocalWorkerHandle: Sendable {
  public let id: String
  public let folder: String
  public let mailbox: FileMailboxStore

  public init(_ handle: JSONValue, backend: String) throws(PluginError) {
    guard let id = handle["worker_id"]?.stringValue, let folder = handle["folder"]?.stringValue,
      folder.hasPrefix("/"), let mailbox = handle["mailbox"]?.stringValue
    else {
      throw PluginError(.invalidArgument, "not a \(backend) worker handle: \(handle)")
    }
    try WorkerIdentifier.validate(id, "worker id")
    guard folder.hasSuffix("/" + id) else {
      throw PluginError(.invalidArgument, "the worker handle's folder \(folder) is not worker \(id)'s")
    }
    self.id = id
    self.folder = folder
    self.mailbox = try FileMailboxStore(uri: mailbox)
  }
}
