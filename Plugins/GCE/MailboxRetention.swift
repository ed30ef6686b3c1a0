import Foundation
import PluginKit
import PluginSupport

/// What a finished run leaves in the mailbox, and when it goes. By `cleanup` the host has the
/// run's outputs, log and exit recorded, so its outputs are deleted at once (they are stored
/// once, in the project's storage, not again in the mailbox); the rest of `runs/<id>/` (log,
/// records, staged code and inputs) and a one-shot VM's `workers/<id>/` folder stay for
/// `gce.mailbox_retention_seconds`, then the next cleanup of any run deletes them.
///
/// Each finished run leaves a marker `retention/<expiry>-<run id>` naming its folders; expiry
/// is a fixed-width UTC time, so markers list in expiry order and a sweep reads only the
/// expired ones before it stops.
struct MailboxRetention {
  static let folder = "retention/"
  let mailbox: Mailbox
  let seconds: Int

  /// Called from `cleanup`: outputs now, the rest after the retention period (or now when it is 0).
  func runFinished(runId: String, oneShotWorker: String?, now: Date = Date()) throws(PluginError) {
    try deleteFolder(try MailboxLayout.outputsFolder(run: runId) + "/")
    var folders = [try MailboxLayout.runFolder(runId) + "/"]
    if let oneShotWorker { folders.append(try MailboxLayout.workerFolder(oneShotWorker) + "/") }
    if seconds == 0 {
      for folder in folders { try deleteFolder(folder) }
    } else {
      let expiry = Self.stamp(now.addingTimeInterval(TimeInterval(seconds)))
      try mailbox.put(
        Self.folder + expiry + "-" + runId, json: JSONValue.object(["folders": .array(folders.map { .string($0) })]))
    }
    try sweep(now: now)
  }

  /// Deletes the folders of every marker whose time has come, then the marker.
  func sweep(now: Date = Date()) throws(PluginError) {
    let due = Self.stamp(now)
    for marker in try mailbox.list(Self.folder) {
      let key = mailbox.relativeKey(marker)
      let name = key.dropFirst(Self.folder.count)
      let expiry = name.prefix(due.count)
      guard expiry.count == due.count, name.dropFirst(due.count).hasPrefix("-") else { continue }
      guard String(expiry) <= due else { break }
      let folders = (try? JSONCoding.parse(String(decoding: try mailbox.read(marker), as: UTF8.self)))?["folders"]
      for case .string(let folder) in folders?.arrayValue ?? [] where Self.isRunOrWorkerFolder(folder) {
        try deleteFolder(folder)
      }
      try mailbox.delete(key)
    }
  }

  private func deleteFolder(_ folder: String) throws(PluginError) {
    for object in try mailbox.list(folder) { try mailbox.delete(mailbox.relativeKey(object)) }
  }

  /// A marker names only folders of one run or one worker: never the whole mailbox.
  static func isRunOrWorkerFolder(_ folder: String) -> Bool {
    let parts = folder.split(separator: "/", omittingEmptySubsequences: false)
    return parts.count == 3 && parts[2].isEmpty && !parts[1].isEmpty && parts[1] != "." && parts[1] != ".."
      && (parts[0] == Substring(MailboxLayout.runsFolder) || parts[0] == Substring(MailboxLayout.workersFolder))
  }

  /// `20261204T001000Z`: sorts as time does.
  static func stamp(_ date: Date) -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "UTC")
    formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
    return formatter.string(from: date)
  }
}
