import Foundation
import GRDB

/// The second half of the research memory (issue #14): what Goldfish learned about a run's outputs
/// and code (reviews and their findings, output statistics), failure patterns, sources made from
/// runs and their parents, database backups and image builds.
enum ResearchMemoryMigration {
  static func v10(_ db: Database) throws {
    try db.execute(
      sql: """
        CREATE TABLE svs_reviews (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          stage_run_id TEXT NOT NULL REFERENCES stage_runs(id),
          review_type TEXT NOT NULL CHECK (review_type IN ('preflight', 'pre_run', 'during_run', 'post_run')),
          decision TEXT NOT NULL CHECK (decision IN ('approved', 'warned', 'blocked', 'skipped', 'error')),
          reviewer TEXT NOT NULL,
          findings TEXT NOT NULL DEFAULT '[]',
          full_text TEXT,
          duration_ms INTEGER,
          reviewed_at TEXT NOT NULL,
          notified INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX svs_reviews_by_run ON svs_reviews(stage_run_id, id);
        CREATE INDEX svs_reviews_unnotified ON svs_reviews(notified) WHERE notified = 0;
        CREATE TABLE output_stats (
          stage_run_id TEXT NOT NULL REFERENCES stage_runs(id),
          output TEXT NOT NULL,
          stats TEXT NOT NULL,
          PRIMARY KEY (stage_run_id, output)
        );
        CREATE TABLE failure_patterns (
          id TEXT PRIMARY KEY,
          symptom TEXT NOT NULL,
          root_cause TEXT NOT NULL,
          rule TEXT NOT NULL,
          prevention TEXT,
          severity TEXT NOT NULL CHECK (severity IN ('CRITICAL', 'HIGH', 'MEDIUM', 'LOW')),
          stage_type TEXT,
          confidence REAL,
          status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
          created_at TEXT NOT NULL,
          approved_at TEXT,
          approved_by TEXT,
          rejection_reason TEXT,
          manually_edited INTEGER NOT NULL DEFAULT 0,
          enabled INTEGER NOT NULL DEFAULT 1,
          source_run_id TEXT REFERENCES stage_runs(id),
          source_workspace TEXT
        );
        CREATE INDEX failure_patterns_by_status ON failure_patterns(status, created_at);
        CREATE TABLE pattern_matches (
          pattern_id TEXT NOT NULL REFERENCES failure_patterns(id),
          stage_run_id TEXT NOT NULL REFERENCES stage_runs(id),
          matched_at TEXT NOT NULL,
          evidence TEXT,
          PRIMARY KEY (pattern_id, stage_run_id)
        );
        CREATE INDEX pattern_matches_by_run ON pattern_matches(stage_run_id);
        ALTER TABLE sources ADD COLUMN stage_run_id TEXT REFERENCES stage_runs(id);
        ALTER TABLE sources ADD COLUMN output_name TEXT;
        CREATE TABLE source_lineage (
          source_name TEXT NOT NULL REFERENCES sources(name),
          parent_source TEXT,
          parent_stage_run_id TEXT,
          signal TEXT NOT NULL,
          created_at TEXT NOT NULL,
          PRIMARY KEY (source_name, signal)
        );
        CREATE INDEX source_lineage_by_parent ON source_lineage(parent_source);
        CREATE INDEX sources_by_run ON sources(stage_run_id) WHERE stage_run_id IS NOT NULL;
        ALTER TABLE stage_runs ADD COLUMN stop_requested_at TEXT;
        ALTER TABLE stage_runs ADD COLUMN stop_reason TEXT;
        CREATE TABLE backups (
          id TEXT PRIMARY KEY,
          tier TEXT NOT NULL CHECK (tier IN ('monthly', 'weekly', 'daily', 'event')),
          trigger TEXT NOT NULL,
          details TEXT,
          created_at TEXT NOT NULL,
          expires_at TEXT NOT NULL,
          database_key TEXT NOT NULL,
          database_sha256 TEXT NOT NULL,
          database_bytes INTEGER NOT NULL,
          repository_key TEXT,
          repository_sha256 TEXT,
          repository_bytes INTEGER,
          deleted_at TEXT
        );
        CREATE INDEX backups_by_tier ON backups(tier, created_at);
        CREATE TABLE image_builds (
          id TEXT PRIMARY KEY,
          image_type TEXT NOT NULL,
          target TEXT NOT NULL,
          status TEXT NOT NULL CHECK (status IN ('pending', 'building', 'completed', 'failed', 'cancelled')),
          image_tag TEXT,
          recipe_hash TEXT,
          started_at TEXT NOT NULL,
          completed_at TEXT,
          error TEXT,
          log_path TEXT
        );
        CREATE INDEX image_builds_by_time ON image_builds(started_at);
        """)
  }
}
