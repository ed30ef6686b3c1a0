import Foundation

/// The identity of one saved state of a workspace: 40 lowercase hex digits.
public struct CommitID: Hashable, Sendable, Codable, CustomStringConvertible {
  public let hex: String

  /// Nil unless `hex` is exactly 40 hex digits (either case; stored lowercase).
  public init?(hex: String) {
    let lower = hex.lowercased()
    guard lower.utf8.count == 40, lower.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) })
    else { return nil }
    self.hex = lower
  }

  init(validatedHex: String) { self.hex = validatedHex }

  /// The first 8 digits: enough for a person to recognise a version in a message.
  public var short: String { String(hex.prefix(8)) }
  public var description: String { hex }

  // Encoded as a bare string, the way it appears everywhere else (database, JSON output).
  public init(from decoder: Decoder) throws {
    let text = try decoder.singleValueContainer().decode(String.self)
    guard let id = CommitID(hex: text) else {
      throw DecodingError.dataCorrupted(
        .init(codingPath: decoder.codingPath, debugDescription: "not a 40-digit hex id: \(text)"))
    }
    self = id
  }

  public func encode(to encoder: Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(hex)
  }
}

public struct CommitInfo: Sendable, Equatable {
  public let id: CommitID
  public let message: String
  public let time: Date
  public let parents: [CommitID]

  public init(id: CommitID, message: String, time: Date, parents: [CommitID]) {
    self.id = id
    self.message = message
    self.time = time
    self.parents = parents
  }
}

/// One file that differs between two states. A file that became a directory (or the reverse)
/// shows up as the old path deleted and the new paths added.
public struct FileChange: Sendable, Equatable, Codable {
  public enum Status: String, Sendable, Codable { case added, modified, deleted }
  public let path: String
  public let status: Status

  public init(path: String, status: Status) {
    self.path = path
    self.status = status
  }
}

public struct CommitResult: Sendable {
  /// The branch head after the call: the new commit, or the unchanged head when nothing differed.
  public let commit: CommitID
  public let changed: Bool
  /// Files whose content was read (the rest came from the stat cache), and packs written: what a
  /// save cost, for tests and benchmarks.
  public let filesRead: Int
  public let packs: Int

  public init(commit: CommitID, changed: Bool, filesRead: Int = 0, packs: Int = 0) {
    self.commit = commit
    self.changed = changed
    self.filesRead = filesRead
    self.packs = packs
  }
}
