import Foundation
import PluginKit
import PluginSupport

/// The run's output.log at `runs/<run_id>/logs/output.log`. A local mailbox is written in
/// place; a remote one gets a local file uploaded every few seconds and at the end.
final class RunLog {
  let runId: String
  let store: any MailboxStore
  let key: String
  let path: String
  let isLocal: Bool
  private(set) var descriptor: Int32 = -1
  private var lastSync = 0.0
  static let syncSeconds = 2.0

  init(runId: String, store: any MailboxStore, workRoot: String) {
    self.runId = runId
    self.store = store
    // Built from this run's own id, never kept from the previous job.
    key = (try? MailboxLayout.log(run: runId)) ?? RunLayout.logKey("invalid")
    if let local = try? store.localPath(key) {
      path = local
      isLocal = true
    } else {
      path = workRoot + "/logs/" + runId + ".log"
      isLocal = false
    }
  }

  /// Starts the log empty (a previous attempt's text never shows under this run).
  func open() throws(PluginError) {
    try POSIXFile.makeDirectories(POSIXFile.parent(of: path))
    descriptor = Glibc.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else { throw POSIXFile.error(errno, "cannot open the run log", path) }
  }

  /// A line from the agent itself, such as why the run did not start.
  func note(_ line: String) {
    if descriptor < 0 { try? open() }
    guard descriptor >= 0 else { return }
    try? POSIXFile.writeAll(descriptor, Array((line + "\n").utf8), path)
  }

  func syncIfDue() {
    guard !isLocal, Clock.monotonic() - lastSync >= Self.syncSeconds else { return }
    sync()
  }

  func finish() {
    if descriptor >= 0 {
      fsync(descriptor)
      close(descriptor)
      descriptor = -1
    }
    sync()
    if !isLocal { unlink(path) }
  }

  private func sync() {
    lastSync = Clock.monotonic()
    guard !isLocal, POSIXFile.fileInfo(path) != nil else { return }
    try? store.putFile(key, from: path)
  }
}
