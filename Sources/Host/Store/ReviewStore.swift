import Foundation
import GRDB
import PluginKit

/// Reviews and output statistics of runs (`svs_reviews`, `output_stats`).
extension ProjectStore {
  @discardableResult
  public func addReview(_ review: SVSReview) throws(GoldfishError) -> Int64 {
    try write { db in try Self.insertReview(db, review) }
  }

  /// For callers that must write the review in the same transaction as a state change.
  static func insertReview(_ db: Database, _ review: SVSReview) throws -> Int64 {
    try db.execute(
      sql: """
        INSERT INTO svs_reviews (stage_run_id, review_type, decision, reviewer, findings, full_text, duration_ms,
          reviewed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        """,
      arguments: [
        review.stageRunID, review.kind.rawValue, review.decision.rawValue, review.reviewer,
        try JSONCoding.encode(review.findings), review.fullText, review.durationMS, review.reviewedAt,
      ])
    return db.lastInsertedRowID
  }

  /// A run's reviews, oldest first.
  public func reviews(ofStageRun id: String, kind: SVSReview.Kind? = nil) throws(GoldfishError) -> [SVSReview] {
    try read { db in
      let filter = kind == nil ? "" : " AND review_type = ?"
      var arguments: StatementArguments = [id]
      if let kind { arguments += [kind.rawValue] }
      return try Row.fetchAll(
        db, sql: "SELECT * FROM svs_reviews WHERE stage_run_id = ?\(filter) ORDER BY id", arguments: arguments
      ).map(Self.review)
    }
  }

  /// Reviews no face has shown yet, newest first (the dashboard shows each once).
  public func unnotifiedReviews(limit: Int = 20) throws(GoldfishError) -> [SVSReview] {
    try read { db in
      try Row.fetchAll(
        db, sql: "SELECT * FROM svs_reviews WHERE notified = 0 ORDER BY id DESC LIMIT ?", arguments: [limit]
      ).map(Self.review)
    }
  }

  public func markReviewsNotified(_ ids: [Int64]) throws(GoldfishError) {
    guard !ids.isEmpty else { return }
    try write { db in
      try db.execute(
        sql: "UPDATE svs_reviews SET notified = 1 WHERE id IN (\(ids.map { _ in "?" }.joined(separator: ",")))",
        arguments: StatementArguments(ids))
    }
  }

  public func setOutputStats(stageRunID: String, output: String, stats: JSONValue) throws(GoldfishError) {
    try write { db in
      try db.execute(
        sql: "INSERT OR REPLACE INTO output_stats (stage_run_id, output, stats) VALUES (?, ?, ?)",
        arguments: [stageRunID, output, try JSONCoding.encode(stats)])
    }
  }

  /// Statistics of each output of a run, by output name.
  public func outputStats(ofStageRun id: String) throws(GoldfishError) -> [String: JSONValue] {
    try read { db in
      var stats: [String: JSONValue] = [:]
      for row in try Row.fetchAll(
        db, sql: "SELECT output, stats FROM output_stats WHERE stage_run_id = ?", arguments: [id])
      {
        let text: String = row["stats"]
        stats[row["output"]] = (try? JSONCoding.parse(text)) ?? .null
      }
      return stats
    }
  }

  private static func review(_ row: Row) -> SVSReview {
    let findingsText: String = row["findings"]
    let findings = (try? JSONCoding.decode([SVSFinding].self, from: findingsText)) ?? []
    return SVSReview(
      id: row["id"], stageRunID: row["stage_run_id"],
      kind: SVSReview.Kind(rawValue: row["review_type"]) ?? .postRun,
      decision: SVSReview.Decision(rawValue: row["decision"]) ?? .error, reviewer: row["reviewer"],
      findings: findings, fullText: row["full_text"], durationMS: row["duration_ms"], reviewedAt: row["reviewed_at"])
  }
}
