import Foundation
import GRDB
import Logging
import PluginKit

extension GoldfishError.Code {
  public static let patternNotMatching = Self("pattern_not_matching")
}

/// Proposing, approving, rejecting and matching failure patterns (MCP manage_patterns, CLI
/// `goldfish patterns`).
public struct FailurePatterns: Sendable {
  public let store: ProjectStore
  static let logger = Logger(label: "goldfish.patterns")

  public init(store: ProjectStore) { self.store = store }

  public struct Proposal: Sendable {
    public var symptom: String
    public var rootCause: String
    public var rule: JSONValue
    public var prevention: String?
    public var severity: String
    public var sourceRunID: String

    public init(
      symptom: String, rootCause: String, rule: JSONValue, prevention: String? = nil, severity: String = "MEDIUM",
      sourceRunID: String
    ) {
      self.symptom = symptom
      self.rootCause = rootCause
      self.rule = rule
      self.prevention = prevention
      self.severity = severity
      self.sourceRunID = sourceRunID
    }
  }

  /// A pending pattern, after checking its rule and that the rule matches the failed run it
  /// comes from (a rule that does not match its own example would match nothing).
  public func propose(_ proposal: Proposal) throws(GoldfishError) -> (FailurePattern, evidence: String) {
    func text(_ value: String, _ name: String, minimum: Int = 10) throws(GoldfishError) -> String {
      let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
      guard trimmed.count >= minimum, trimmed.count <= 4000 else {
        throw GoldfishError(
          .invalidArgument, "\(name) must be \(minimum) to 4000 characters", hint: "say it in a sentence")
      }
      return trimmed
    }
    let rule = try PatternRule(proposal.rule)
    guard let severity = FailurePattern.Severity(rawValue: proposal.severity.uppercased()) else {
      throw GoldfishError(.invalidArgument, "severity must be one of CRITICAL, HIGH, MEDIUM, LOW")
    }
    guard let run = try store.stageRun(proposal.sourceRunID) else {
      throw GoldfishError(.notFound, "no run \(proposal.sourceRunID)", hint: "the failed run the pattern was seen in")
    }
    guard run.state == .failed || run.state == .terminated else {
      throw GoldfishError(
        .invalidArgument, "run \(run.id) is \(run.state.rawValue); a pattern comes from a failed or terminated run")
    }
    guard let evidence = rule.match(try RunEvidence(run, store: store)) else {
      throw GoldfishError(
        .patternNotMatching, "the rule \(Self.describe(rule)) does not match its source run \(run.id)",
        hint: "a log_regex rule searches the end of the run's log and its error; check them with logs(run_id)")
    }
    let pattern = FailurePattern(
      id: "pat-" + UUID().uuidString.lowercased().prefix(12), symptom: try text(proposal.symptom, "symptom"),
      rootCause: try text(proposal.rootCause, "root_cause"), rule: rule,
      prevention: try proposal.prevention.map { value throws(GoldfishError) in try text(value, "prevention") },
      severity: severity, stage: run.stage, status: .pending, createdAt: Timestamp.now(), sourceRunID: run.id,
      sourceWorkspace: run.workspace)
    try store.insertPattern(pattern)
    return (pattern, evidence)
  }

  public func approve(_ id: String, by who: String) throws(GoldfishError) -> FailurePattern {
    try store.decidePattern(id, status: .approved, approvedBy: who, rejectionReason: nil)
  }

  public func reject(_ id: String, reason: String) throws(GoldfishError) -> FailurePattern {
    guard reason.trimmingCharacters(in: .whitespaces).count >= 10 else {
      throw GoldfishError(.invalidArgument, "a rejection needs a reason of at least 10 characters")
    }
    return try store.decidePattern(id, status: .rejected, approvedBy: nil, rejectionReason: reason)
  }

  /// Checks every approved pattern against a run that just ended failed or terminated and
  /// records the matches. Never throws: the run's ending stands whatever happens here.
  @discardableResult
  public func matchEnded(_ runID: String) -> [PatternMatch] {
    do {
      let patterns = try store.patterns(status: .approved)
      guard !patterns.isEmpty, let run = try store.stageRun(runID) else { return [] }
      let evidence = try RunEvidence(run, store: store)
      var matches: [PatternMatch] = []
      for pattern in patterns where pattern.stage == nil || pattern.stage == run.stage {
        guard let found = pattern.rule.match(evidence) else { continue }
        matches.append(
          PatternMatch(
            patternID: pattern.id, stageRunID: runID, matchedAt: Timestamp.now(), evidence: found,
            symptom: pattern.symptom))
      }
      try store.insertPatternMatches(matches)
      return matches
    } catch {
      Self.logger.warning("run \(runID): matching failure patterns failed: \(error.message)")
      return []
    }
  }

  static func describe(_ rule: PatternRule) -> String {
    (try? JSONCoding.encode(rule.json)) ?? "\(rule)"
  }
}

extension ProjectStore {
  func insertPattern(_ pattern: FailurePattern) throws(GoldfishError) {
    try write { db in
      try db.execute(
        sql: """
          INSERT INTO failure_patterns (id, symptom, root_cause, rule, prevention, severity, stage_type, status,
            created_at, source_run_id, source_workspace) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)
          """,
        arguments: [
          pattern.id, pattern.symptom, pattern.rootCause, try JSONCoding.encode(pattern.rule.json), pattern.prevention,
          pattern.severity.rawValue, pattern.stage, pattern.createdAt, pattern.sourceRunID, pattern.sourceWorkspace,
        ])
    }
  }

  func decidePattern(
    _ id: String, status: FailurePattern.Status, approvedBy: String?, rejectionReason: String?
  ) throws(GoldfishError) -> FailurePattern {
    try write { db in
      try db.execute(
        sql: """
          UPDATE failure_patterns SET status = ?, approved_at = ?, approved_by = ?, rejection_reason = ?
          WHERE id = ?
          """,
        arguments: [
          status.rawValue, status == .approved ? Timestamp.now() : nil, approvedBy, rejectionReason, id,
        ])
      guard db.changesCount == 1 else {
        throw GoldfishError(.notFound, "no failure pattern \(id)", hint: "list them with manage_patterns(action: list)")
      }
    }
    guard let pattern = try pattern(id) else { throw GoldfishError(.notFound, "no failure pattern \(id)") }
    return pattern
  }

  public func pattern(_ id: String) throws(GoldfishError) -> FailurePattern? {
    try read { db in
      try Row.fetchOne(db, sql: "SELECT * FROM failure_patterns WHERE id = ?", arguments: [id]).flatMap(Self.pattern)
    }
  }

  public func patterns(status: FailurePattern.Status? = nil, limit: Int = 200) throws(GoldfishError) -> [FailurePattern]
  {
    try read { db in
      let filter = status == nil ? "" : "WHERE status = ? AND enabled = 1"
      var arguments: StatementArguments = []
      if let status { arguments += [status.rawValue] }
      arguments += [limit]
      return try Row.fetchAll(
        db, sql: "SELECT * FROM failure_patterns \(filter) ORDER BY created_at DESC, id LIMIT ?", arguments: arguments
      ).compactMap(Self.pattern)
    }
  }

  func insertPatternMatches(_ matches: [PatternMatch]) throws(GoldfishError) {
    guard !matches.isEmpty else { return }
    try write { db in
      for match in matches {
        try db.execute(
          sql: """
            INSERT OR IGNORE INTO pattern_matches (pattern_id, stage_run_id, matched_at, evidence) VALUES (?, ?, ?, ?)
            """,
          arguments: [match.patternID, match.stageRunID, match.matchedAt, match.evidence])
      }
    }
  }

  /// The approved patterns that matched a run (or, with `pattern`, the runs one pattern matched).
  public func patternMatches(
    ofStageRun runID: String? = nil, pattern: String? = nil
  ) throws(GoldfishError)
    -> [PatternMatch]
  {
    try read { db in
      let (column, value) = runID.map { ("m.stage_run_id", $0) } ?? ("m.pattern_id", pattern ?? "")
      return try Row.fetchAll(
        db,
        sql: """
          SELECT m.*, p.symptom FROM pattern_matches m JOIN failure_patterns p ON p.id = m.pattern_id
          WHERE \(column) = ? ORDER BY m.matched_at, m.pattern_id
          """, arguments: [value]
      ).map { row in
        PatternMatch(
          patternID: row["pattern_id"], stageRunID: row["stage_run_id"], matchedAt: row["matched_at"],
          evidence: row["evidence"], symptom: row["symptom"])
      }
    }
  }

  private static func pattern(_ row: Row) -> FailurePattern? {
    let ruleText: String = row["rule"]
    guard let ruleValue = try? JSONCoding.parse(ruleText), let rule = try? PatternRule(ruleValue),
      let severity = FailurePattern.Severity(rawValue: row["severity"]),
      let status = FailurePattern.Status(rawValue: row["status"])
    else { return nil }
    return FailurePattern(
      id: row["id"], symptom: row["symptom"], rootCause: row["root_cause"], rule: rule, prevention: row["prevention"],
      severity: severity, stage: row["stage_type"], status: status, createdAt: row["created_at"],
      approvedAt: row["approved_at"], approvedBy: row["approved_by"], rejectionReason: row["rejection_reason"],
      sourceRunID: row["source_run_id"], sourceWorkspace: row["source_workspace"])
  }
}
