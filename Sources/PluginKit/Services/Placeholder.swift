/// Capabilities of a service that is registered but not built yet, so `plugins list`
/// shows it honestly instead of hiding it.
public enum Placeholder {
  public static func capabilities(_ note: String) -> JSONValue {
    ["concurrency": "parallel", "implemented": false, "note": .string(note)]
  }

  static func refuse(_ service: String) -> PluginError {
    PluginError(.notImplemented, "the \(service) service is not implemented yet in this build")
  }
}

/// A run backend whose every operation reports `not_implemented`.
public protocol PlaceholderRunBackend: RunBackend {}

extension PlaceholderRunBackend {
  public func launch(_ spec: RunSpec) throws(PluginError) -> JSONValue {
    throw Placeholder.refuse(Self.serviceName)
  }
  public func status(handle: JSONValue) throws(PluginError) -> RunStatus {
    throw Placeholder.refuse(Self.serviceName)
  }
  public func logs(handle: JSONValue, request: LogRequest) throws(PluginError) -> LogChunk {
    throw Placeholder.refuse(Self.serviceName)
  }
  public func cancel(handle: JSONValue, reason: String?) throws(PluginError) {
    throw Placeholder.refuse(Self.serviceName)
  }
  public func cleanup(handle: JSONValue) throws(PluginError) {
    throw Placeholder.refuse(Self.serviceName)
  }
  public func recover(handle: JSONValue) throws(PluginError) -> RecoveredRun {
    throw Placeholder.refuse(Self.serviceName)
  }
}

/// An object storage whose every operation reports `not_implemented`.
public protocol PlaceholderObjectStorage: ObjectStorage {}

extension PlaceholderObjectStorage {
  public func uri(forKey key: String) throws(PluginError) -> String {
    throw Placeholder.refuse(Self.serviceName)
  }
  public func putFile(
    uri: String, path: String, contentType: String?
  ) throws(PluginError)
    -> ObjectInfo
  { throw Placeholder.refuse(Self.serviceName) }
  public func getFile(uri: String, path: String) throws(PluginError) -> Int64 {
    throw Placeholder.refuse(Self.serviceName)
  }
  public func putBytes(
    uri: String, data: UnsafeRawBufferPointer, contentType: String?
  )
    throws(PluginError) -> ObjectInfo
  { throw Placeholder.refuse(Self.serviceName) }
  public func getBytes(uri: String, maxBytes: Int) throws(PluginError) -> [UInt8] {
    throw Placeholder.refuse(Self.serviceName)
  }
  public func stat(uri: String) throws(PluginError) -> ObjectInfo {
    throw Placeholder.refuse(Self.serviceName)
  }
  public func exists(uri: String) throws(PluginError) -> Bool {
    throw Placeholder.refuse(Self.serviceName)
  }
  public func list(
    prefix: String, pageToken: String?, pageSize: Int
  ) throws(PluginError)
    -> ObjectListing
  { throw Placeholder.refuse(Self.serviceName) }
  public func delete(uri: String) throws(PluginError) -> Bool {
    throw Placeholder.refuse(Self.serviceName)
  }
}

/// An image builder whose every operation reports `not_implemented`.
public protocol PlaceholderImageBuilder: ImageBuilder {}

extension PlaceholderImageBuilder {
  public func build(_ request: ImageBuildRequest) throws(PluginError) -> String {
    throw Placeholder.refuse(Self.serviceName)
  }
  public func buildStatus(id: String) throws(PluginError) -> ImageBuildStatus {
    throw Placeholder.refuse(Self.serviceName)
  }
  public func buildLogs(id: String, offset: Int64) throws(PluginError) -> LogChunk {
    throw Placeholder.refuse(Self.serviceName)
  }
  public func imageID(tag: String) throws(PluginError) -> String? {
    throw Placeholder.refuse(Self.serviceName)
  }
}
