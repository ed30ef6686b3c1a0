extension CommitID {
  /// A version id read back from the database; a malformed one means the database was damaged.
  static func stored(_ hex: String) throws(GoldfishError) -> CommitID {
    guard let id = CommitID(hex: hex) else {
      throw GoldfishError(
        .storeFailed, "the project database holds a damaged version id \(hex.debugDescription)",
        hint: "restore .goldfish/goldfish.db from a backup")
    }
    return id
  }
}
