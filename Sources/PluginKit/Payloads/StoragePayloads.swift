/// What `stat` and `put_file` report about an object.
public struct ObjectInfo: Codable, Sendable, Equatable {
  public var size: Int64
  /// Algorithm name (`md5`, `crc32c`, `sha256`) to its hex (or base64 for GCS) digest.
  public var hash: [String: String]
  public var etag: String?
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

public struct ObjectListing: Codable, Sendable, Equatable {
  public struct Entry: Codable, Sendable, Equatable {
    public var uri: String
    public var size: Int64?
    public init(uri: String, size: Int64? = nil) {
      self.uri = uri
      self.size = size
    }
  }

  public var objects: [Entry]
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
