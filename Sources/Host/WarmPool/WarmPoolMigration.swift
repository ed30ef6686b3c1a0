import GRDB

/// `v4-warm-pool`: the pool's rows, their audit trail. The reaper's leader lease is a row of
/// the existing `leases` table (`WarmPoolReaper.leaseName`).
enum WarmPoolMigration {
  static func v4(_ db: Database) throws {
    let states = WarmWorkerState.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
    let leased = WarmWorkerState.allCases.filter(\.isLeased).map { "'\($0.rawValue)'" }.joined(separator: ", ")
    try db.execute(
      sql: """
        CREATE TABLE warm_workers (
          worker_id TEXT PRIMARY KEY,
          backend TEXT NOT NULL,
          compat_key TEXT NOT NULL,
          zone TEXT,
          profile TEXT,
          state TEXT NOT NULL CHECK (state IN (\(states))),
          lease_run_id TEXT,
          worker_handle TEXT,
          created_at TEXT NOT NULL,
          state_entered_at TEXT NOT NULL,
          last_job_at TEXT,
          jobs_done INTEGER NOT NULL DEFAULT 0,
          idle_timeout_seconds INTEGER NOT NULL CHECK (idle_timeout_seconds > 0),
          lifetime_seconds INTEGER NOT NULL CHECK (lifetime_seconds > 0),
          not_found_count INTEGER NOT NULL DEFAULT 0,
          dead_count INTEGER NOT NULL DEFAULT 0,
          delete_attempts INTEGER NOT NULL DEFAULT 0,
          last_error TEXT,
          -- upstream #23: no busy row without a lease, no lease on an unleased state
          CHECK ((state IN (\(leased))) = (lease_run_id IS NOT NULL))
        );
        CREATE INDEX warm_workers_claimable
          ON warm_workers(backend, compat_key, state_entered_at)
          WHERE state = 'idle_ready' AND lease_run_id IS NULL;
        CREATE UNIQUE INDEX warm_workers_by_lease ON warm_workers(lease_run_id) WHERE lease_run_id IS NOT NULL;
        CREATE INDEX warm_workers_by_state ON warm_workers(backend, state);
        CREATE TABLE warm_worker_transitions (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          worker_id TEXT NOT NULL,
          from_state TEXT NOT NULL,
          to_state TEXT NOT NULL,
          event TEXT NOT NULL,
          run_id TEXT,
          reason TEXT,
          source TEXT NOT NULL,
          created_at TEXT NOT NULL
        );
        CREATE INDEX warm_worker_transitions_by_worker ON warm_worker_transitions(worker_id);
        """)
  }
}
