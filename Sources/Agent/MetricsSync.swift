import Foundation
import PluginKit
import PluginSupport

/// Uploads a job's metrics file to `runs/<run_id>/outputs/.goldfish/metrics.jsonl` every few
/// seconds while it runs, when the job writes its outputs on this machine rather than in the
/// host's folder (a VM): the backend brings the new bytes home on each status poll, so the
/// host sees metrics while the run runs. The outputs upload at the end sends the final file.
final class MetricsSync {
  let path: String
  let key: String
  let store: any MailboxStore
  private var lastSync = 0.0
  private var uploadedSize: Int64 = -1
  static let syncSeconds = 2.0

  init(runId: String, outputsFolder: String, store: any MailboxStore) throws(PluginError) {
    path = StageIO.metricsFile(outputsDir: outputsFolder)
    key = try MailboxLayout.metrics(run: runId)
    self.store = store
  }

  /// Best effort: a failed upload is tried again at the next sync.
  func syncIfDue() {
    guard Clock.monotonic() - lastSync >= Self.syncSeconds else { return }
    lastSync = Clock.monotonic()
    guard let info = POSIXFile.fileInfo(path), (info.st_mode & S_IFMT) == S_IFREG, Int64(info.st_size) != uploadedSize
    else { return }
    let size = Int64(info.st_size)
    if (try? store.putFile(key, from: path)) != nil { uploadedSize = size }
  }
}
