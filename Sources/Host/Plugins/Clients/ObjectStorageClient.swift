import PluginKit

/// An object storage seen through its table: one typed method per function over the PluginKit
/// requests and responses. Every failure is a `PluginCallError` naming the plugin, the service and
/// the function; an answer of the wrong shape is one with the fault `invalid_response`.
public struct ObjectStorageClient: Sendable {
  public let service: OpenedService
  /// What the storage declares, typed (bad keys read as absent; `plugins check` reports them).
  public let capabilities: ObjectStorageCapabilities

  public init(_ service: OpenedService) {
    self.service = service
    capabilities = ObjectStorageCapabilities(declared: service.info.capabilities)
  }

  public var name: String { service.info.name }

  public func putFile(_ request: PutFileRequest) throws(PluginCallError) -> ObjectInfo {
    try service.send("put_file", request, as: ObjectInfo.self)
  }

  public func putFile(uri: String, path: String) throws(PluginCallError) -> ObjectInfo {
    try putFile(PutFileRequest(uri: uri, path: path))
  }

  public func getFile(_ request: GetFileRequest) throws(PluginCallError) -> GetFileResponse {
    try service.send("get_file", request, as: GetFileResponse.self)
  }

  public func getFile(uri: String, path: String) throws(PluginCallError) -> GetFileResponse {
    try getFile(GetFileRequest(uri: uri, path: path))
  }

  public func putBytes(_ request: PutBytesRequest, _ bytes: [UInt8]) throws(PluginCallError) -> ObjectInfo {
    try service.read(
      "put_bytes", try service.putBytes(try service.encoded("put_bytes", request), bytes), as: ObjectInfo.self)
  }

  public func getBytes(_ request: GetBytesRequest) throws(PluginCallError) -> [UInt8] {
    try service.getBytes(try service.encoded("get_bytes", request))
  }

  public func stat(_ request: ObjectURIRequest) throws(PluginCallError) -> ObjectInfo {
    try service.send("stat", request, as: ObjectInfo.self)
  }

  public func stat(uri: String) throws(PluginCallError) -> ObjectInfo {
    try stat(ObjectURIRequest(uri: uri))
  }

  public func exists(_ request: ObjectURIRequest) throws(PluginCallError) -> ObjectExistsResponse {
    try service.send("exists", request, as: ObjectExistsResponse.self)
  }

  public func list(_ request: ListObjectsRequest) throws(PluginCallError) -> ObjectListing {
    try service.send("list", request, as: ObjectListing.self)
  }

  public func delete(_ request: ObjectURIRequest) throws(PluginCallError) -> ObjectDeletedResponse {
    try service.send("delete_object", request, as: ObjectDeletedResponse.self)
  }

  public func localPath(_ request: ObjectURIRequest) throws(PluginCallError) -> LocalPathResponse {
    try service.send("local_path", request, as: LocalPathResponse.self)
  }

  public func localPath(uri: String) throws(PluginCallError) -> String {
    try localPath(ObjectURIRequest(uri: uri)).path
  }

  public func uriFor(_ request: URIForRequest) throws(PluginCallError) -> URIForResponse {
    try service.send("uri_for", request, as: URIForResponse.self)
  }

  /// The storage's URI of a storage-relative key (`runs/<id>/logs/output.log`).
  public func uriFor(key: String) throws(PluginCallError) -> String {
    try uriFor(URIForRequest(key: key)).uri
  }
}
