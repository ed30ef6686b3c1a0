import Foundation
import PluginKit

/// `.goldfish-mount` in a slot: which workspace the files belong to and where they came from.
/// It is never versioned.
struct MountMarker: Codable, Equatable {
  static let fileName = ".goldfish-mount"

  var workspace: String
  var sha: String
  var mountedAt: String
  var version: Int?

  enum CodingKeys: String, CodingKey {
    case workspace, sha
    case mountedAt = "mounted_at"
    case version
  }

  static func read(slotPath: String) -> MountMarker? {
    guard let data = FileManager.default.contents(atPath: slotPath + "/" + fileName) else { return nil }
    return try? JSONDecoder().decode(MountMarker.self, from: data)
  }

  func write(slotPath: String) throws(GoldfishError) {
    do {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
      try encoder.encode(self).write(to: URL(fileURLWithPath: slotPath + "/" + Self.fileName), options: .atomic)
    } catch {
      throw GoldfishError(.ioFailed, "cannot write the mount marker in \(slotPath): \(error.localizedDescription)")
    }
  }
}
