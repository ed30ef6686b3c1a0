import Foundation

/// Renews a driver's lease on a thread of its own, every 5 s for 30 s: a plugin call that hangs
/// the driver's loop (up to `plugins.call_timeout_seconds`) must not let the lease lapse, or a
/// second driver would start on the same run. The loop asks `lost` and stops when another
/// process took the lease.
final class LeaseKeeper: @unchecked Sendable {
  private let lock = NSLock()
  private var stopped = false
  private var wasLost = false

  init(store: ProjectStore, lease: String) {
    Thread.detachNewThread { [self] in
      while true {
        Thread.sleep(forTimeInterval: 5)
        // Renewed under the lock: once stop() returns, no renewal can follow the release.
        let done = lock.withLock { () -> Bool in
          if stopped { return true }
          if (try? store.acquireLease(lease, seconds: 30)) == false { wasLost = true }
          return false
        }
        if done { return }
      }
    }
  }

  var lost: Bool { lock.withLock { wasLost } }

  func stop() { lock.withLock { stopped = true } }
}
