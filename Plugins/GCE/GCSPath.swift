import GCSClient

/// Percent-encoding of object names in JSON API URLs (one path segment, '/' included).
enum GCSPath {
  static func encode(_ name: String) -> String { GCSAPI.encode(name) }
}
