import Foundation

/// A version's identity in the version store (a commit id, 40 hex digits).
public struct CommitID: Hashable, Sendable, Codable, CustomStringConvertible {
  public let hex: String
  public init(hex: String) { self.hex = hex }
  public var description: String { hex }
  public var short: String { String(hex.prefix(8)) }
}

public struct CommitInfo: Sendable, Equatable {
  public let id: CommitID
  public let message: String
  public let time: Date
  public let parents: [CommitID]
}

public struct FileChange: Sendable, Equatable, Codable, Hashable {
  public enum Status: String, Sendable, Codable { case added, modified, deleted }
  public let path: String
  public let status: Status

  public init(path: String, status: Status) {
    self.path = path
    self.status = status
  }
}

public struct CommitResult: Sendable {
  public let commit: CommitID
  public let changed: Bool
}

extension GoldfishError.Code {
  public static let fileTooLarge = Self("file_too_large")
  public static let versionConflict = Self("version_conflict")
  public static let versionStoreFailed = Self("version_store_failed")
  public static let branchExists = Self("branch_exists")
  public static let tagExists = Self("tag_exists")
  public static let unsafePath = Self("unsafe_path")
}
