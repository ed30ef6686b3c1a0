import Foundation
import GRDB
import PluginKit
import Testing

@testable import GoldfishTestSupport
@testable import Host

/// A CLI reaps in passing on a budget, so `goldfish status` never waits on one backend probe
/// per row of a large pool (bench/warm_pool.py measures what an unbounded pass costs).
@Suite("warm pool reaper budget", .serialized)
struct WarmPoolReaperBudgetTests {
  /// `count` idle rows whose workers do not exist (a probe answers not_found), in one transaction.
  static func seed(_ warm: WarmProject, _ count: Int) throws {
    let now = Timestamp.now()
    let gone = TestEnvironment.temporaryFolder("budget-workers")
    try warm.store.write { db in
      for index in 0..<count {
        let id = "gw-budget-\(index)"
        let handle: JSONValue = [
          "backend": "process", "worker_id": .string(id), "folder": .string(gone + "/" + id),
          "mailbox": .string("file://" + gone + "/mailbox"),
        ]
        try db.execute(
          sql: """
            INSERT INTO warm_workers (worker_id, backend, compat_key, state, worker_handle, created_at,
              state_entered_at, idle_timeout_seconds, lifetime_seconds)
            VALUES (?, 'process', 'budget', 'idle_ready', ?, ?, ?, 86400, 604800)
            """,
          arguments: [id, try JSONCoding.encode(handle), now, now])
      }
    }
  }

  @Test("a pass with a spent budget visits one row and postpones the rest; an unbounded pass visits every row")
  func budgetedPass() throws {
    let warm = try WarmProject()
    defer { warm.tearDown() }
    try Self.seed(warm, 5)
    let reaper = WarmPoolReaper(services: try warm.services())
    let short = try reaper.reap(budgetSeconds: 0)
    #expect(short.postponed == 4)
    var counts = try warm.store.workers(backend: "process").map(\.notFoundCount)
    #expect(counts.sorted() == [0, 0, 0, 0, 1])
    let full = try reaper.reap()
    #expect(full.postponed == 0)
    counts = try warm.store.workers(backend: "process").map(\.notFoundCount)
    #expect(counts.allSatisfy { $0 >= 1 } && counts.reduce(0, +) == 6)
  }

  @Test("short passes alone still settle the whole pool: three not_found answers each drop every missing worker")
  func shortPassesCoverThePool() throws {
    let warm = try WarmProject()
    defer { warm.tearDown() }
    try Self.seed(warm, 4)
    let reaper = WarmPoolReaper(services: try warm.services())
    // 3 not_found answers drop a row; short passes alone empty the pool.
    for _ in 0..<400 where try !warm.store.workers(backend: "process").isEmpty {
      try reaper.reap(budgetSeconds: 0)
    }
    #expect(try warm.store.workers(backend: "process").isEmpty)
  }
}
