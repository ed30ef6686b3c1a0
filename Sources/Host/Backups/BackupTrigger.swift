import Foundation
import PluginKit

/// Automatic backups after create_workspace, save_version, delete_workspace and run: best effort.
/// The triggering call only queues the backup and returns; one background queue per process takes
/// them in order, so a slow storage never slows a tool and a failing one never fails it (the
/// failure is a `failed` row and a warning in the log). A CLI process waits for its queue before
/// it exits (`waitForPending`), an MCP server simply keeps running.
public enum BackupTrigger {
  private static let queue = DispatchQueue(label: "goldfish.backups")
  private static let pending = DispatchGroup()

  /// Queues a backup of `project` for `trigger` when `backup.enabled` and `backup.automatic`
  /// allow it; the rate limit is checked when it runs.
  public static func fire(_ project: Project, _ trigger: String, details: String? = nil) {
    let config = project.config.backup
    guard config.enabled, config.automatic else { return }
    pending.enter()
    queue.async {
      defer { pending.leave() }
      run(project, trigger, details: details)
    }
  }

  static func run(_ project: Project, _ trigger: String, details: String?) {
    let manager = BackupManager(project: project)
    do {
      // A storage that does not open is a failure create records; one inside .goldfish/ is a choice.
      if let storage = try? BackupStorage(plugins: project.plugins), manager.storageWarning(storage) != nil { return }
      if case .created(let record) = try manager.create(trigger: trigger, details: details) {
        HostAPI.logger.info("backup \(record.id) (\(record.tier.rawValue)) after \(trigger)")
      }
    } catch {
      HostAPI.logger.warning("automatic backup after \(trigger) failed: \(error.message)")
    }
  }

  /// Waits until every queued backup has finished, at most `timeout` seconds; false on timeout.
  @discardableResult
  public static func waitForPending(timeout: TimeInterval = 120) -> Bool {
    pending.wait(timeout: .now() + timeout) == .success
  }
}
