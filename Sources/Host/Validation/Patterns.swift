import Foundation
import GRDB
import Logging
import PluginKit

/// A failure pattern (upstream's failure_patterns): what a failed run showed, why, how to avoid
/// it, and a rule a machine can check. Proposed from one failed run (the rule must match it),
/// approved or rejected by a person or the agent, and once approved checked on every run that
/// ends failed or terminated (`FailurePatterns.matchEnded`). No AI writes or reviews patterns.
public struct FailurePattern: Codable, Sendable, Equatable {
  public enum Severity: String, Codable, Sendable, CaseIterable { case CRITICAL, HIGH, MEDIUM, LOW }
  public enum Status: String, Codable, Sendable, CaseIterable { case pending, approved, rejected }

  public var id: String
  public var symptom: String
  public var rootCause: String
  public var rule: PatternRule
  public var prevention: String?
  public var severity: Severity
  public var stage: String?
  public var status: Status
  public var createdAt: String
  public var approvedAt: String?
  public var approvedBy: String?
  public var rejectionReason: String?
  public var sourceRunID: String?
  public var sourceWorkspace: String?

  enum CodingKeys: String, CodingKey {
    case id, symptom, rule, prevention, severity, stage, status
    case rootCause = "root_cause"
    case createdAt = "created_at"
    case approvedAt = "approved_at"
    case approvedBy = "approved_by"
    case rejectionReason = "rejection_reason"
    case sourceRunID = "source_run_id"
    case sourceWorkspace = "source_workspace"
  }
}

/// What a pattern checks on a failed run:
/// `{"kind": "log_regex", "pattern": "…"}` searches the end of its log and its error;
/// `{"kind": "metric", "name": "loss", "above": 10}` (or `"below"`) tests the metric's last value;
/// `{"kind": "finding", "check": "divergence"}` looks for a review finding with that check.
public enum PatternRule: Codable, Sendable, Equatable {
  case logRegex(String)
  case metric(name: String, above: Double?, below: Double?)
  case finding(String)

  /// A rule from its JSON, checked: a clear error for anything else.
  public init(_ value: JSONValue) throws(GoldfishError) {
    let kinds = "log_regex {pattern}, metric {name, above|below}, finding {check}"
    guard let fields = value.objectValue, let kind = fields["kind"]?.stringValue else {
      throw GoldfishError(.invalidArgument, "a pattern rule is an object with a kind", hint: "kinds: \(kinds)")
    }
    func text(_ key: String) throws(GoldfishError) -> String {
      guard let text = fields[key]?.stringValue, !text.isEmpty, text.count <= 1000 else {
        throw GoldfishError(
          .invalidArgument, "a \(kind) rule needs \(key) (1 to 1000 characters)", hint: "kinds: \(kinds)")
      }
      return text
    }
    switch kind {
    case "log_regex":
      let pattern = try text("pattern")
      guard (try? NSRegularExpression(pattern: pattern)) != nil else {
        throw GoldfishError(.invalidArgument, "rule pattern \"\(pattern)\" is not a valid regular expression")
      }
      self = .logRegex(pattern)
    case "metric":
      let name = try text("name")
      let above = Self.number(fields["above"])
      let below = Self.number(fields["below"])
      guard above != nil || below != nil else {
        throw GoldfishError(.invalidArgument, "a metric rule needs above or below (a number)")
      }
      self = .metric(name: name, above: above, below: below)
    case "finding":
      self = .finding(try text("check"))
    default:
      throw GoldfishError(.invalidArgument, "unknown rule kind \"\(kind)\"", hint: "kinds: \(kinds)")
    }
  }

  private static func number(_ value: JSONValue?) -> Double? {
    switch value {
    case .int(let whole)?: Double(whole)
    case .double(let fraction)?: fraction
    default: nil
    }
  }

  public var json: JSONValue {
    switch self {
    case .logRegex(let pattern): ["kind": "log_regex", "pattern": .string(pattern)]
    case .metric(let name, let above, let below):
      [
        "kind": "metric", "name": .string(name), "above": above.map(JSONValue.double) ?? .null,
        "below": below.map(JSONValue.double) ?? .null,
      ]
    case .finding(let check): ["kind": "finding", "check": .string(check)]
    }
  }

  public init(from decoder: Decoder) throws {
    let value = try JSONValue(from: decoder)
    do { self = try PatternRule(value) } catch {
      throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: error.message))
    }
  }

  public func encode(to encoder: Encoder) throws { try json.encode(to: encoder) }

  /// The evidence when the rule matches the run, nil otherwise.
  func match(_ evidence: RunEvidence) -> String? {
    switch self {
    case .logRegex(let pattern):
      guard let regex = try? NSRegularExpression(pattern: pattern) else { return nil }
      for text in [evidence.error, evidence.logTail] {
        if let hit = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
          let range = Range(hit.range, in: text)
        {
          let line = text[..<range.upperBound].split(separator: "\n").last.map(String.init) ?? String(text[range])
          return "log: " + String(line.suffix(300))
        }
      }
      return nil
    case .metric(let name, let above, let below):
      guard let value = evidence.lastMetrics[name] else { return nil }
      if let above, value > above { return "metric \(name) = \(value) > \(above)" }
      if let below, value < below { return "metric \(name) = \(value) < \(below)" }
      return nil
    case .finding(let check):
      return evidence.findings.first { $0.check == check }.map { "finding \(check): \($0.message)" }
    }
  }
}

/// What a run left to match patterns against.
struct RunEvidence {
  var error: String
  var logTail: String
  var lastMetrics: [String: Double]
  var findings: [SVSFinding]

  static let logTailBytes = 64 * 1024

  init(_ run: StageRunRecord, store: ProjectStore) throws(GoldfishError) {
    error = run.error ?? ""
    logTail = run.workDir.map { Self.tail(RunLayout.runLog(workDir: $0)) } ?? ""
    lastMetrics = Dictionary(
      try store.metricSummaries(of: run.id).map { ($0.name, $0.lastValue) }, uniquingKeysWith: { first, _ in first })
    findings = try store.reviews(ofStageRun: run.id).flatMap(\.findings)
  }

  static func tail(_ path: String) -> String {
    guard let handle = FileHandle(forReadingAtPath: path) else { return "" }
    defer { try? handle.close() }
    let size = (try? handle.seekToEnd()) ?? 0
    try? handle.seek(toOffset: size > UInt64(logTailBytes) ? size - UInt64(logTailBytes) : 0)
    return String(decoding: (try? handle.readToEnd()) ?? Data(), as: UTF8.self)
  }
}

/// One approved pattern that matched a run.
public struct PatternMatch: Codable, Sendable, Equatable {
  public var patternID: String
  public var stageRunID: String
  public var matchedAt: String
  public var evidence: String?
  public var symptom: String?

  enum CodingKeys: String, CodingKey {
    case patternID = "pattern_id"
    case stageRunID = "stage_run_id"
    case matchedAt = "matched_at"
    case evidence, symptom
  }
}
