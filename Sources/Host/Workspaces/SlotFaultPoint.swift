import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Named moments of `mount` and `hibernate` where the reliability tests kill the process with
/// SIGKILL, armed by the same `GOLDFISH_FAULT_POINT` variable as the run's points (`FaultPoint`)
/// and inert without it.
public enum SlotFaultPoint: String, CaseIterable, Sendable {
  /// The slot is recorded as mounted; nothing is written in its folder yet.
  case afterClaim = "mount_after_claim"
  /// Some files of the new copy are written (in the hidden staging folder), others are not.
  case midwayFiles = "mount_midway_files"
  /// The slot folder holds every file; its mount marker is not written yet.
  case afterFilesBeforeMarker = "mount_after_files_before_marker"
  /// The mount is complete; the journal and STATE.md do not show it yet.
  case beforeJournal = "mount_before_journal"
  /// `hibernate` saved the slot and moved its folder aside; the slot is still recorded as mounted.
  case hibernateAfterEmptying = "hibernate_after_emptying"
  /// `hibernate` freed the slot; the folder it moved aside is not removed yet.
  case hibernateAfterRelease = "hibernate_after_release"

  static let armed: SlotFaultPoint? = ProcessInfo.processInfo.environment[FaultPoint.environmentVariable]
    .flatMap(SlotFaultPoint.init(rawValue:))

  /// Kills this process on the spot when `point` is the armed one; otherwise does nothing.
  @inline(__always)
  static func hit(_ point: SlotFaultPoint) {
    guard armed == point else { return }
    let note = "goldfish: fault point \(point.rawValue) reached, killing process \(getpid())\n"
    _ = note.withCString { write(2, $0, strlen($0)) }
    kill(getpid(), SIGKILL)
  }
}
