/// Artifact, dataset and log storage addressed by the storage's own URIs.
public protocol ObjectStorage: PluginService {
  /// Maps a storage-relative key such as `runs/r1/outputs/x.npy` to this storage's URI.
  func uri(forKey key: String) throws(PluginError) -> String
  func putFile(uri: String, path: String, contentType: String?) throws(PluginError) -> ObjectInfo
  /// Returns the number of bytes written to `path`.
  func getFile(uri: String, path: String) throws(PluginError) -> Int64
  func putBytes(
    uri: String, data: UnsafeRawBufferPointer, contentType: String?
  )
    throws(PluginError) -> ObjectInfo
  func getBytes(uri: String, maxBytes: Int) throws(PluginError) -> [UInt8]
  func stat(uri: String) throws(PluginError) -> ObjectInfo
  func exists(uri: String) throws(PluginError) -> Bool
  func list(prefix: String, pageToken: String?, pageSize: Int) throws(PluginError) -> ObjectListing
  /// Returns whether something was deleted; a missing object is not an error.
  func delete(uri: String) throws(PluginError) -> Bool
}

extension ObjectStorage {
  public static var kind: ServiceKind { .objectStorage }
}

/// A storage whose objects are files on this machine.
public protocol LocalObjectStorage: ObjectStorage {
  func localPath(uri: String) throws(PluginError) -> String
}
