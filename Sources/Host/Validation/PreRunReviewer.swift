import Foundation
import PluginKit

extension GoldfishError.Code {
  /// The pre-run reviewer command found errors: nothing was saved or started.
  public static let reviewBlocked = Self("review_blocked")
}

/// The optional reviewer before launch (`pre_run_review.command`, docs/review.md): a program that
/// reads one JSON document on stdin (the stage's diff since its last successful run, its config,
/// the pipeline, inputs, results spec and reason) and answers JSON findings on stdout. A finding
/// of severity `error` blocks the run; a reviewer that times out, crashes or answers something
/// that is not the documented JSON does not (fail-open): its review is recorded with decision
/// `error` and a warning finding saying what went wrong.
public struct PreRunReviewer: Sendable {
  public let command: [String]
  public let timeoutSeconds: Int
  /// The largest diff sent; a longer one is cut and says so.
  static let diffLimit = 200_000

  public init(command: [String], timeoutSeconds: Int) {
    self.command = command
    self.timeoutSeconds = timeoutSeconds
  }

  /// The name reviews record: the program, or the script an interpreter runs.
  public var name: String {
    let interpreters: Set<String> = ["python3", "python", "sh", "bash", "node", "env"]
    let words = command.map { ($0 as NSString).lastPathComponent }
    if let first = words.first, interpreters.contains(first),
      let script = words.dropFirst().first(where: { !$0.hasPrefix("-") })
    {
      return script
    }
    return words.first ?? "reviewer"
  }

  /// One review of one stage; its `stageRunID` is filled in when the run row exists.
  public func review(_ request: JSONValue, stage: String) -> SVSReview {
    let started = Date()
    func finished(_ decision: SVSReview.Decision, _ findings: [SVSFinding], _ text: String?) -> SVSReview {
      SVSReview(
        stageRunID: "", kind: .preRun, decision: decision, reviewer: name, findings: findings,
        fullText: text.map { String($0.prefix(100_000)) }, durationMS: Int(Date().timeIntervalSince(started) * 1000))
    }
    func failedOpen(_ message: String, _ text: String?) -> SVSReview {
      finished(
        .error,
        [
          SVSFinding(check: "reviewer_failed", severity: .warning, message: message + "; the run went ahead unreviewed")
        ],
        text)
    }
    let input: Data
    do {
      input = Data(try JSONCoding.encode(request).utf8)
    } catch {
      return failedOpen("the review request could not be encoded: \(error.message)", nil)
    }
    let outcome: ReviewerProcess.Outcome
    do {
      outcome = try ReviewerProcess.run(command, stdin: input, timeout: TimeInterval(timeoutSeconds))
    } catch {
      return failedOpen("the reviewer \(name) could not start: \(error.message)", nil)
    }
    if outcome.timedOut {
      return failedOpen(
        "the reviewer \(name) gave no answer within pre_run_review.timeout_seconds (\(timeoutSeconds) s)",
        outcome.stderr)
    }
    guard outcome.exitCode == 0 else {
      let why = outcome.stderr.split(separator: "\n").suffix(3).joined(separator: " ")
      return failedOpen("the reviewer \(name) exited with code \(outcome.exitCode): \(why)", outcome.stderr)
    }
    switch Self.parse(outcome.stdout) {
    case .success(let answer):
      let findings = answer.findings
      return finished(SVSReview.Decision(findings: findings, blockOnError: true), findings, answer.summary)
    case .failure(let problem):
      return failedOpen(
        "the reviewer \(name) answered something else than the review JSON: \(problem.message)", outcome.stdout)
    }
  }

  struct Answer {
    var findings: [SVSFinding]
    var summary: String?
  }

  /// `{"findings": [{severity, message, check?, subject?, details?}], "summary"?}` (docs/schemas/pre-run-review-response.schema.json).
  static func parse(_ text: String) -> Result<Answer, GoldfishError> {
    guard let value = try? JSONCoding.parse(text.trimmingCharacters(in: .whitespacesAndNewlines)),
      let fields = value.objectValue
    else { return .failure(GoldfishError(.invalidArgument, "stdout is not one JSON object")) }
    guard let list = fields["findings"]?.arrayValue else {
      return .failure(GoldfishError(.invalidArgument, "the answer has no \"findings\" list"))
    }
    var findings: [SVSFinding] = []
    for (index, item) in list.enumerated() {
      guard let severityText = item["severity"]?.stringValue,
        let severity = SVSFinding.Severity(rawValue: severityText)
      else {
        return .failure(GoldfishError(.invalidArgument, "findings[\(index)].severity must be note, warning or error"))
      }
      guard let message = item["message"]?.stringValue, !message.isEmpty else {
        return .failure(GoldfishError(.invalidArgument, "findings[\(index)].message must be a non-empty string"))
      }
      findings.append(
        SVSFinding(
          check: item["check"]?.stringValue ?? "reviewer", severity: severity, message: String(message.prefix(4000)),
          subject: item["subject"]?.stringValue, details: item["details"]))
    }
    return .success(Answer(findings: findings, summary: fields["summary"]?.stringValue))
  }

  /// The one error a blocking review raises, naming each error finding of each stage.
  public static func blocked(_ reviews: [String: SVSReview]) -> GoldfishError? {
    let blocking = reviews.sorted { $0.key < $1.key }.filter { $0.value.decision == .blocked }
    guard !blocking.isEmpty else { return nil }
    let named = blocking.flatMap { stage, review in
      review.findings.filter { $0.severity == .error }.map { "stage \(stage): \($0.message)" }
    }
    return GoldfishError(
      .reviewBlocked,
      "the pre-run reviewer \(blocking[0].value.reviewer) blocked the run; nothing was saved or started: "
        + named.joined(separator: "; "),
      hint: "fix what it found, or run with skip_review: true if you are sure (the skip is recorded)",
      detail: [
        "reviews": .array(
          blocking.map { stage, review in
            ["stage": .string(stage), "findings": (try? JSONCoding.value(of: review.findings)) ?? .null]
          })
      ])
  }
}
