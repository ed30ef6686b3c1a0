/// What `stat` and `put_file` report about an object.
public struct ObjectInfo: Codable, Sendable, Equatable {
  /// Bytes.
  public var size: Int64
  /// Algorithm name (`md5`, `crc32c`, `sha256`) to its hex (or base64 for GCS) digest.
  public var hash: [String: String]
  /// Opaque version tag, when the storage has one.
  public var etag: String?
  /// When the object was last written, RFC 3339 UTC.
  public var updatedAt: String?

  public init(size: Int64, hash: [String: String] = [:], etag: String? = nil, updatedAt: String? = nil) {
    self.size = size
    self.hash = hash
    self.etag = etag
    self.updatedAt = updatedAt
  }

  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    size = try c.decode(Int64.self, forKey: .size)
    hash = try c.decodeIfPresent([String: String].self, forKey: .hash) ?? [:]
    etag = try c.decodeIfPresent(String.self, forKey: .etag)
    updatedAt = try c.decodeIfPresent(String.self, forKey: .updatedAt)
  }

  private enum CodingKeys: String, CodingKey {
    case size, hash, etag
    case updatedAt = "updated_at"
  }
}

/// The answer of `list`: one page of objects, in byte-wise URI order.
public struct ObjectListing: Codable, Sendable, Equatable {
  /// One listed object.
  public struct Entry: Codable, Sendable, Equatable {
    /// Its URI.
    public var uri: String
    /// Its size in bytes, when the listing knows it.
    public var size: Int64?
    public init(uri: String, size: Int64? = nil) {
      self.uri = uri
      self.size = size
    }
  }

  /// The page's objects.
  public var objects: [Entry]
  /// Pass back as `page_token` for the next page; null on the last page.
  public var nextPageToken: String?

  public init(objects: [Entry], nextPageToken: String?) {
    self.objects = objects
    self.nextPageToken = nextPageToken
  }

  public func encode(to encoder: Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(objects, forKey: .objects)
    try c.encode(nextPageToken, forKey: .nextPageToken)
  }

  private enum CodingKeys: String, CodingKey {
    case objects
    case nextPageToken = "next_page_token"
  }
}
