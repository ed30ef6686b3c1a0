import Foundation
import PluginKit

/// When the reaper runs: on a timer in the long-lived processes (`goldfish serve`, the detached
/// `goldfish drive`), and in passing from CLI commands, cheaply and at most once per lease
/// period across all processes (the lease is left to expire, so it doubles as the rate limit).
public enum WarmPoolReaperSchedule {
  /// Seconds between passes of a long-lived process.
  public static let interval: TimeInterval = 10
  /// The most a CLI command spends reaping in passing; the rest waits for the next pass (or
  /// the timer of `goldfish serve`/`goldfish drive`, whose passes visit every row).
  public static let inPassingBudget: TimeInterval = 2

  /// A CLI's pass: nothing at all unless the pool has rows and nobody reaped lately; then a
  /// detached `goldfish pool reap` does the pass, so the command that noticed (a `status`
  /// poll) costs the same with 10 or 10,000 rows instead of waiting on one probe per row.
  public static func reapInPassing(_ project: Project) {
    guard (try? project.store.hasWarmWorkers()) == true,
      (try? project.store.leaseIsFree(WarmPoolReaper.leaseName)) == true
    else { return }
    try? FileManager.default.createDirectory(atPath: project.paths.runs, withIntermediateDirectories: true)
    try? DriverLauncher.spawnDetached(
      ["pool", "reap", "--project", project.location.root], log: project.paths.runs + "/warm-pool-reaper.log",
      what: "the warm pool reaper")
  }

  /// Starts a background thread that reaps every `interval` for as long as the process lives.
  /// `open` is asked again until it gives services (the project may appear later).
  public static func startTimer(open: @escaping @Sendable () -> ExecutionServices?) {
    let thread = Thread {
      var services: ExecutionServices?
      while true {
        Thread.sleep(forTimeInterval: interval)
        if services == nil { services = open() }
        guard let services else { continue }
        _ = try? WarmPoolReaper(services: services).reapIfLeader(leaseSeconds: 3 * interval)
      }
    }
    thread.name = "goldfish-warm-pool-reaper"
    thread.start()
  }
}

extension ProjectStore {
  /// Whether the pool has any row at all: the one read a CLI pays when the pool is unused.
  public func hasWarmWorkers() throws(GoldfishError) -> Bool {
    try read { db in try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM warm_workers)") ?? false }
  }
}
