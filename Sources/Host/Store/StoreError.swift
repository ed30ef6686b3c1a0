import GRDB

extension GoldfishError.Code {
  public static let storeFailed = Self("store_failed")
  public static let storeBusy = Self("store_busy")
  public static let notFound = Self("not_found")
  public static let alreadyExists = Self("already_exists")
  public static let staleState = Self("stale_state")
}

/// SQLite's own words never reach a user: they go to `detail["internal"]`.
enum StoreError {
  static func translate(_ error: any Error, while action: String) -> GoldfishError {
    if let database = error as? DatabaseError {
      switch database.resultCode {
      case .SQLITE_BUSY, .SQLITE_LOCKED:
        return GoldfishError(
          .storeBusy, "the project database stayed busy for 30 s while \(action)",
          hint: "another goldfish process is holding it; retry in a moment",
          detail: ["internal": .string(database.description)])
      case .SQLITE_FULL:
        return GoldfishError(
          .storeFailed, "the disk is full while \(action)", hint: "free disk space and retry",
          detail: ["internal": .string(database.description)])
      case .SQLITE_CORRUPT, .SQLITE_NOTADB:
        return GoldfishError(
          .storeFailed, "the project database is damaged (\(action))",
          hint: "restore .goldfish/goldfish.db from a backup",
          detail: ["internal": .string(database.description)])
      default:
        break
      }
    }
    return GoldfishError(
      .storeFailed, "the project database failed while \(action)",
      detail: ["internal": .string("\(error)")])
  }
}
