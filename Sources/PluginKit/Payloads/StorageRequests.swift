// The requests and answers of the object storage table (goldfish_plugin.h, gf_object_storage_v1): the
// host encodes them through `ObjectStorageClient`, PluginKit decodes them before calling an
// `ObjectStorage`, so both sides read one definition. URIs are the storage's own, from `uri_for`.

/// The request of `stat`, `exists`, `delete` and `local_path`.
public struct ObjectURIRequest: Codable, Sendable, Equatable {
  /// The object's URI, as `uri_for` gave it.
  public var uri: String

  public init(uri: String) {
    self.uri = uri
  }
}

/// The request of `put_file`: store a local file as an object.
public struct PutFileRequest: Codable, Sendable, Equatable {
  private enum CodingKeys: String, CodingKey {
    case uri, path
    case contentType = "content_type"
  }

  /// Where to store it.
  public var uri: String
  /// The local file to read: an absolute path.
  public var path: String
  /// A MIME type for storages that keep one; absent means `application/octet-stream`.
  public var contentType: String?

  public init(uri: String, path: String, contentType: String? = nil) {
    self.uri = uri
    self.path = path
    self.contentType = contentType
  }
}

/// The request of `put_bytes`: the bytes themselves travel beside the JSON.
public struct PutBytesRequest: Codable, Sendable, Equatable {
  private enum CodingKeys: String, CodingKey {
    case uri
    case contentType = "content_type"
  }

  /// Where to store them.
  public var uri: String
  /// A MIME type for storages that keep one.
  public var contentType: String?

  public init(uri: String, contentType: String? = nil) {
    self.uri = uri
    self.contentType = contentType
  }
}

/// The request of `get_file`: copy an object into a local file.
public struct GetFileRequest: Codable, Sendable, Equatable {
  /// The object to read.
  public var uri: String
  /// The local file to write (atomically): an absolute path.
  public var path: String

  public init(uri: String, path: String) {
    self.uri = uri
    self.path = path
  }
}

/// The answer of `get_file`.
public struct GetFileResponse: Codable, Sendable, Equatable {
  /// Bytes written to the local file.
  public var size: Int64

  public init(size: Int64) {
    self.size = size
  }
}

/// The request of `get_bytes`: a small object read into memory.
public struct GetBytesRequest: Codable, Sendable, Equatable {
  private enum CodingKeys: String, CodingKey {
    case uri
    case maxBytes = "max_bytes"
  }

  /// The object to read.
  public var uri: String
  /// Refuse (`invalid_argument`) an object larger than this many bytes; absent means 1 MiB.
  public var maxBytes: Int?

  public init(uri: String, maxBytes: Int? = nil) {
    self.uri = uri
    self.maxBytes = maxBytes
  }
}

/// The request of `list`: one page of the objects whose URI starts with `prefix`.
public struct ListObjectsRequest: Codable, Sendable, Equatable {
  private enum CodingKeys: String, CodingKey {
    case prefix
    case pageToken = "page_token"
    case pageSize = "page_size"
  }

  /// A plain string prefix of URIs (not a folder), inside this storage.
  public var prefix: String
  /// The previous page's `next_page_token`; absent for the first page.
  public var pageToken: String?
  /// Objects per page, 1 to 10,000; absent means 1,000.
  public var pageSize: Int?

  public init(prefix: String, pageToken: String? = nil, pageSize: Int? = nil) {
    self.prefix = prefix
    self.pageToken = pageToken
    self.pageSize = pageSize
  }
}

/// The answer of `exists`.
public struct ObjectExistsResponse: Codable, Sendable, Equatable {
  /// Whether an object is stored at the URI.
  public var exists: Bool

  public init(exists: Bool) {
    self.exists = exists
  }
}

/// The answer of `delete`.
public struct ObjectDeletedResponse: Codable, Sendable, Equatable {
  /// True when an object was deleted; false when there was none (not an error).
  public var deleted: Bool

  public init(deleted: Bool) {
    self.deleted = deleted
  }
}

/// The answer of `local_path`.
public struct LocalPathResponse: Codable, Sendable, Equatable {
  /// The object's own file on this machine: an absolute path, to be read, never written.
  public var path: String

  public init(path: String) {
    self.path = path
  }
}

/// The request of `uri_for`.
public struct URIForRequest: Codable, Sendable, Equatable {
  /// A storage-relative key such as `runs/stage-7f3a9c21/outputs/model.pt` (segments of
  /// `[A-Za-z0-9._-]` joined by `/`, 1 to 1,024 bytes).
  public var key: String

  public init(key: String) {
    self.key = key
  }
}

/// The answer of `uri_for`.
public struct URIForResponse: Codable, Sendable, Equatable {
  /// The key's URI in this storage, with its bucket, root and prefixes applied.
  public var uri: String

  public init(uri: String) {
    self.uri = uri
  }
}
