import Foundation
import GRDB
import PluginKit

/// One thing a check found about a run: an output that broke its contract, a metric gone NaN, a
/// reviewer's remark. `check` is a stable machine name (`shape`, `dtype`, `nan_loss`, `reviewer`…).
public struct SVSFinding: Codable, Sendable, Equatable {
  public enum Severity: String, Codable, Sendable, CaseIterable, Comparable {
    case note, warning, error
    private var rank: Int { Self.allCases.firstIndex(of: self) ?? 0 }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }
  }

  public var check: String
  public var severity: Severity
  public var message: String
  /// The output, input or metric the finding is about, when it is about one.
  public var subject: String?
  public var details: JSONValue?

  public init(check: String, severity: Severity, message: String, subject: String? = nil, details: JSONValue? = nil) {
    self.check = check
    self.severity = severity
    self.message = message
    self.subject = subject
    self.details = details
  }
}

/// One review of a run at one moment of its life (upstream's `svs_reviews`): the mechanistic
/// preflight, the optional reviewer command before launch, the health checks while it runs and the
/// output contracts after it.
public struct SVSReview: Codable, Sendable, Equatable {
  public enum Kind: String, Codable, Sendable, CaseIterable {
    case preflight
    case preRun = "pre_run"
    case duringRun = "during_run"
    case postRun = "post_run"
  }
  /// Escalates approved < warned < blocked; `skipped` and `error` (a reviewer that crashed or
  /// timed out: fail-open) never block.
  public enum Decision: String, Codable, Sendable, CaseIterable {
    case approved, warned, blocked, skipped, error

    /// The decision a list of findings implies.
    public init(findings: [SVSFinding], blockOnError: Bool) {
      let worst = findings.map(\.severity).max()
      switch worst {
      case .error: self = blockOnError ? .blocked : .warned
      case .warning: self = .warned
      case .note, nil: self = .approved
      }
    }
  }

  public var id: Int64?
  public var stageRunID: String
  public var kind: Kind
  public var decision: Decision
  /// Who reviewed: `contracts`, `preflight`, `metric_health`, or the reviewer command's name.
  public var reviewer: String
  public var findings: [SVSFinding]
  public var fullText: String?
  public var durationMS: Int?
  public var reviewedAt: String

  public init(
    id: Int64? = nil, stageRunID: String, kind: Kind, decision: Decision, reviewer: String, findings: [SVSFinding],
    fullText: String? = nil, durationMS: Int? = nil, reviewedAt: String = Timestamp.now()
  ) {
    self.id = id
    self.stageRunID = stageRunID
    self.kind = kind
    self.decision = decision
    self.reviewer = reviewer
    self.findings = findings
    self.fullText = fullText
    self.durationMS = durationMS
    self.reviewedAt = reviewedAt
  }
}
