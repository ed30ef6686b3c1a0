import Foundation
import PluginKit

// Codes thrown by the git layer. Messages speak of workspaces, versions and files: the caller
// (workspace manager) may rephrase them, but nothing here leaks git vocabulary to a user.
extension GoldfishError.Code {
  /// A file in a workspace is over the configured size limit for versioned files.
  public static let fileTooLarge = Self("file_too_large")
  /// Another process saved the same workspace at the same moment; retrying is safe.
  public static let versionConflict = Self("version_conflict")
  public static let branchExists = Self("branch_exists")
  public static let branchNotFound = Self("branch_not_found")
  public static let tagExists = Self("tag_exists")
  public static let commitNotFound = Self("commit_not_found")
  /// A stored path or link would land outside the directory it is written into.
  public static let unsafePath = Self("unsafe_path")
  public static let versionStoreExists = Self("version_store_exists")
  public static let versionStoreNotFound = Self("version_store_not_found")
  public static let versionStoreFailed = Self("version_store_failed")
}

/// How the git layer names things to a person: branches are workspaces, tags are versions.
enum GitWords {
  static let workspacePrefix = "goldfish/"

  static func workspace(_ branch: String) -> String {
    let name = branch.hasPrefix(workspacePrefix) ? String(branch.dropFirst(workspacePrefix.count)) : branch
    return "workspace '\(name)'"
  }

  static func version(_ tag: String) -> String { "version '\(tag)'" }

  static func bytes(_ count: Int64) -> String {
    ByteCountFormatter.string(fromByteCount: count, countStyle: .binary)
  }
}

/// The errors the git layer throws, built in one place so their wording stays consistent.
enum GitFailure {
  static func fileTooLarge(_ path: String, size: Int64, limit: Int64) -> GoldfishError {
    GoldfishError(
      .fileTooLarge,
      "The file '\(path)' is \(GitWords.bytes(size)), over the \(GitWords.bytes(limit)) limit for files saved in a workspace version; nothing was saved.",
      hint: "Add it to .gitignore and register large data as a source, or raise the file size limit in goldfish.yaml.",
      detail: ["path": .string(path), "size_bytes": .int(size), "limit_bytes": .int(limit)])
  }

  static func versionConflict(_ branch: String, internal reason: String) -> GoldfishError {
    GoldfishError(
      .versionConflict,
      "The \(GitWords.workspace(branch)) was changed by another operation while it was being saved; nothing was saved.",
      hint: "Retry the operation.",
      detail: ["retryable": .bool(true), "workspace": .string(branch), "internal": .string(reason)])
  }

  static func commitNotFound(_ id: CommitID) -> GoldfishError {
    GoldfishError(
      .commitNotFound, "No saved workspace state with id \(id.short) exists in this project.",
      hint: "List the workspace history to see the versions that exist.",
      detail: ["id": .string(id.hex)])
  }

  static func invalidName(_ name: String, kind: String) -> GoldfishError {
    GoldfishError(
      .invalidArgument, "'\(name)' is not a valid \(kind) name.",
      hint: "Use letters, digits, '-', '_' and '/' only.", detail: ["name": .string(name)])
  }

  static func unsafePath(_ path: String, _ why: String) -> GoldfishError {
    GoldfishError(
      .unsafePath, "The stored path '\(path)' \(why); nothing was written.",
      hint: "This version was not created by Goldfish or the project store is damaged.",
      detail: ["path": .string(path)])
  }

  static func io(_ doing: String, path: String, errno code: Int32 = errno) -> GoldfishError {
    GoldfishError(
      .ioFailed, "Could not \(doing) '\(path)': \(String(cString: strerror(code))).",
      detail: ["path": .string(path), "errno": .int(Int64(code))])
  }
}
