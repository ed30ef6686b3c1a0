import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

extension GoldfishError.Code {
  public static let slotBusy = Self("slot_busy")
}

/// An exclusive lock on one slot across every goldfish process on the project (flock on a
/// file under the dev folder). Released when the process exits, even on SIGKILL.
struct SlotLock {
  static let timeout: TimeInterval = 30

  static func withLock<T>(
    _ slot: String, in folder: String, _ body: () throws(GoldfishError) -> T
  )
    throws(GoldfishError) -> T
  {
    try FileLock.holding(
      folder + "/slot-\(slot).lock", timeout: timeout, poll: 20_000,
      tooLong: {
        GoldfishError(
          .slotBusy, "slot \(slot) is busy: another goldfish operation on it did not finish within \(Int(timeout)) s",
          hint: "wait for it to finish and retry")
      }, body)
  }
}
