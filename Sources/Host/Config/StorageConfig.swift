import PluginKit

/// `storage:`: which object storage service keeps artifacts.
public struct StorageConfig: Sendable, Equatable {
  public var backend = "file"

  public init() {}

  static let keys = ["backend"]

  init(reading section: ConfigSection?) {
    guard let section else { return }
    backend = section.string("backend", default: backend)
  }

  var json: JSONValue { ["backend": .string(backend)] }
}
