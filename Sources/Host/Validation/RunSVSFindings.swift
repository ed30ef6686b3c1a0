import Foundation
import GRDB
import PluginKit

/// A failure pattern that matched a run (`pattern_matches` joined with `failure_patterns`).
public struct MatchedFailurePattern: Codable, Sendable, Equatable {
  public var id: String
  public var symptom: String
  public var rootCause: String
  public var status: String
  public var severity: String
  public var createdAt: String
  public var matchedAt: String
  public var evidence: String?

  enum CodingKeys: String, CodingKey {
    case id, symptom, status, severity, evidence
    case rootCause = "root_cause", createdAt = "created_at", matchedAt = "matched_at"
  }
}

extension ProjectStore {
  /// The failure patterns that matched a run, newest match first.
  public func matchedPatterns(ofStageRun id: String) throws(GoldfishError) -> [MatchedFailurePattern] {
    try read { db in
      try Row.fetchAll(
        db,
        sql: """
          SELECT p.id, p.symptom, p.root_cause, p.status, p.severity, p.created_at, m.matched_at, m.evidence
          FROM pattern_matches m JOIN failure_patterns p ON p.id = m.pattern_id
          WHERE m.stage_run_id = ? ORDER BY m.matched_at DESC
          """, arguments: [id]
      ).map { row in
        MatchedFailurePattern(
          id: row["id"], symptom: row["symptom"], rootCause: row["root_cause"], status: row["status"],
          severity: row["severity"], createdAt: row["created_at"], matchedAt: row["matched_at"],
          evidence: row["evidence"])
      }
    }
  }

  /// Runs (newest first) whose reviews hold at least one warning or error finding.
  public func runsWithFindings(limit: Int = 5) throws(GoldfishError) -> [(run: String, review: SVSReview)] {
    try read { db in
      try Row.fetchAll(
        db,
        sql: """
          SELECT * FROM svs_reviews WHERE decision IN ('warned', 'blocked')
          AND id IN (SELECT MAX(id) FROM svs_reviews WHERE decision IN ('warned', 'blocked') GROUP BY stage_run_id)
          ORDER BY id DESC LIMIT ?
          """, arguments: [limit]
      ).map { row in
        let findings = (try? JSONCoding.decode([SVSFinding].self, from: row["findings"] as String)) ?? []
        let review = SVSReview(
          id: row["id"], stageRunID: row["stage_run_id"],
          kind: SVSReview.Kind(rawValue: row["review_type"]) ?? .postRun,
          decision: SVSReview.Decision(rawValue: row["decision"]) ?? .warned, reviewer: row["reviewer"],
          findings: findings, fullText: row["full_text"], durationMS: row["duration_ms"],
          reviewedAt: row["reviewed_at"])
        return (review.stageRunID, review)
      }
    }
  }
}

/// Everything SVS said about one run, as `get_run_svs_findings` and `goldfish svs RUN` show it
/// (upstream §1.7): `{success, stage_run_id, reviews, failure_patterns, output_stats}`.
public struct RunSVSFindingsView: Encodable, Sendable {
  public var stageRunID: String
  public var reviews: [SVSReview]
  public var failurePatterns: [MatchedFailurePattern]
  public var outputStats: [String: JSONValue]

  public init(store: ProjectStore, stageRunID: String) throws(GoldfishError) {
    guard try store.stageRun(stageRunID) != nil else {
      throw GoldfishError(
        .notFound, "no run \(RunIdentifiers.display(stageRunID))", hint: "list_runs (CLI: goldfish runs) shows runs")
    }
    self.stageRunID = stageRunID
    reviews = try store.reviews(ofStageRun: stageRunID)
    failurePatterns = try store.matchedPatterns(ofStageRun: stageRunID)
    outputStats = try store.outputStats(ofStageRun: stageRunID)
  }

  enum Keys: String, CodingKey {
    case success, reviews
    case stageRunID = "stage_run_id", failurePatterns = "failure_patterns", outputStats = "output_stats"
  }

  public func encode(to encoder: any Encoder) throws {
    var fields = encoder.container(keyedBy: Keys.self)
    try fields.encode(true, forKey: .success)
    try fields.encode(stageRunID, forKey: .stageRunID)
    try fields.encode(reviews.map(ReviewView.init), forKey: .reviews)
    try fields.encode(failurePatterns, forKey: .failurePatterns)
    try fields.encode(outputStats, forKey: .outputStats)
  }

  /// One review as faces show it; `parsed_findings` is upstream's name for the findings.
  public struct ReviewView: Encodable, Sendable {
    public var review: SVSReview

    enum Keys: String, CodingKey {
      case id, reviewer, decision, findings
      case stageRunID = "stage_run_id", reviewType = "review_type", reviewedAt = "reviewed_at"
      case parsedFindings = "parsed_findings", fullText = "full_text", durationMS = "duration_ms"
    }

    public func encode(to encoder: any Encoder) throws {
      var fields = encoder.container(keyedBy: Keys.self)
      try fields.encode(review.id, forKey: .id)
      try fields.encode(review.stageRunID, forKey: .stageRunID)
      try fields.encode(review.kind.rawValue, forKey: .reviewType)
      try fields.encode(review.decision.rawValue, forKey: .decision)
      try fields.encode(review.reviewer, forKey: .reviewer)
      try fields.encode(review.reviewedAt, forKey: .reviewedAt)
      try fields.encode(review.findings, forKey: .parsedFindings)
      try fields.encode(review.findings, forKey: .findings)
      try fields.encode(review.fullText, forKey: .fullText)
      try fields.encode(review.durationMS, forKey: .durationMS)
    }
  }

  /// The reviews by moment, as `inspect_run(include: ["svs"])` shows them (upstream's shape):
  /// `{preflight: {errors, warnings}, pre_run: [...], during_run: [...], post_run: {...} | null}`.
  public static func byMoment(_ reviews: [SVSReview]) -> JSONValue {
    func view(_ review: SVSReview) -> JSONValue {
      [
        "decision": .string(review.decision.rawValue), "reviewer": .string(review.reviewer),
        "findings": (try? JSONCoding.parse(JSONCoding.encode(review.findings))) ?? .array([]),
        "full_text": review.fullText.map(JSONValue.string) ?? .null,
        "duration_ms": review.durationMS.map { .int(Int64($0)) } ?? .null, "reviewed_at": .string(review.reviewedAt),
      ]
    }
    let preflight = reviews.filter { $0.kind == .preflight }.flatMap(\.findings)
    let post = reviews.filter { $0.kind == .postRun }
    return [
      "preflight": [
        "errors": .array(preflight.filter { $0.severity == .error }.map { .string($0.message) }),
        "warnings": .array(preflight.filter { $0.severity == .warning }.map { .string($0.message) }),
      ],
      "pre_run": .array(reviews.filter { $0.kind == .preRun }.map(view)),
      "during_run": .array(reviews.filter { $0.kind == .duringRun }.map(view)),
      "post_run": post.last.map(view) ?? .null,
      "post_run_reviews": .array(post.map(view)),
    ]
  }
}
