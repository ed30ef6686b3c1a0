import Foundation
import PluginKit

/// After a stage: checks every output that declares a `schema:` (on the host, see
/// `OutputContractsCheck`), adds what the stage's goldfish.io found where the data is
/// (`.goldfish/svs_findings.json`: value ranges, null ratios, npz and parquet) and stores its
/// statistics (`.goldfish/svs_stats.json`), then writes one `post_run` review by `contracts`.
/// Each output's enforcement (its schema's `enforcement:`, else `svs.default_enforcement`) sets
/// what a broken contract is: `blocking` an error that fails the run (`svs_block`), `warning` a
/// warning, `silent` nothing.
public struct OutputContractsReview: Sendable {
  public static let reviewer = "contracts"
  public static let statsFile = "svs_stats.json"
  public static let findingsFile = "svs_findings.json"

  public let store: ProjectStore
  public let config: SVSConfig

  public init(store: ProjectStore, config: SVSConfig) {
    self.store = store
    self.config = config
  }

  /// The review written (nil when SVS is off or no output declares a contract).
  @discardableResult
  public func review(
    runID: String, outputs: [SignalDefinition], outputsDir: String, stageConfig: JSONValue?
  ) throws(GoldfishError) -> SVSReview? {
    guard config.enabled else { return nil }
    // A finalization interrupted after the review and redone on restart reuses it, never writes a second.
    if let earlier = try store.reviews(ofStageRun: runID, kind: .postRun).first(where: { $0.reviewer == Self.reviewer })
    {
      return earlier
    }
    let started = Date()
    let runtime = outputsDir + "/" + StageIO.runtimeFolder + "/"
    let stats = Self.readJSON(runtime + Self.statsFile)?["stats"]?.objectValue ?? [:]
    if config.statsEnabled {
      for output in outputs {
        if let entry = stats[output.name] {
          try store.setOutputStats(stageRunID: runID, output: output.name, stats: entry)
        }
      }
    }
    let stageFindings = Self.stageFindings(Self.readJSON(runtime + Self.findingsFile))
    let check = OutputContractsCheck(outputsDir: outputsDir)
    var findings: [SVSFinding] = []
    var checked = 0
    for output in outputs {
      guard let schema = output.schema else { continue }
      checked += 1
      let contract = OutputContract(schema: schema, config: stageConfig)
      let enforcement = contract.enforcement ?? config.defaultEnforcement
      guard enforcement != .silent else { continue }
      var own = check.check(output, contract)
      let seen = Set(own.map { "\($0.check)/\($0.subject ?? "")" })
      // The stage checks shape and dtype too (before writing); the host's word on those stands.
      own += stageFindings.filter { $0.subject == output.name && !seen.contains("\($0.check)/\(output.name)") }
      if (contract.range != nil || contract.maxNullRatio != nil) && stats[output.name] == nil && config.statsEnabled {
        own.append(
          SVSFinding(
            check: "not_checked", severity: .note,
            message:
              "value range of \(output.name) not checked: the stage wrote no statistics for it "
              + "(save it with goldfish.io.save_output so its values are sampled where they are)",
            subject: output.name))
      }
      findings += own.map { Self.enforced($0, enforcement) }
    }
    guard checked > 0 else { return nil }
    let review = SVSReview(
      stageRunID: runID, kind: .postRun, decision: SVSReview.Decision(findings: findings, blockOnError: true),
      reviewer: Self.reviewer, findings: findings, fullText: Self.summary(findings, checked: checked),
      durationMS: Int(Date().timeIntervalSince(started) * 1000))
    var stored = review
    stored.id = try store.addReview(review)
    return stored
  }

  /// The message a blocked run ends with: every broken contract, one per line.
  public static func blockMessage(_ review: SVSReview) -> String {
    let errors = review.findings.filter { $0.severity == .error }
    return "svs_block: \(errors.count) output contract\(errors.count == 1 ? "" : "s") broken: "
      + errors.map(\.message).joined(separator: "; ")
  }

  /// A broken contract (`error` as checked) becomes what the output's enforcement says.
  static func enforced(_ finding: SVSFinding, _ enforcement: SVSConfig.Enforcement) -> SVSFinding {
    var finding = finding
    if finding.severity == .error && enforcement == .warning { finding.severity = .warning }
    return finding
  }

  static func summary(_ findings: [SVSFinding], checked: Int) -> String {
    let broken = findings.filter { $0.severity != .note }.count
    return broken == 0
      ? "\(checked) output contract\(checked == 1 ? "" : "s") held"
      : "\(broken) finding\(broken == 1 ? "" : "s") over \(checked) output contract\(checked == 1 ? "" : "s")"
  }

  /// `{version, findings: [{check, severity, message, subject, details}]}` as goldfish.io writes it;
  /// entries that do not parse are dropped (a stage's file is not trusted to be well formed).
  static func stageFindings(_ document: JSONValue?) -> [SVSFinding] {
    (document?["findings"]?.arrayValue ?? []).prefix(1000).compactMap { entry in
      guard let check = entry["check"]?.stringValue, let message = entry["message"]?.stringValue else { return nil }
      let severity = entry["severity"]?.stringValue.flatMap(SVSFinding.Severity.init(rawValue:)) ?? .error
      return SVSFinding(
        check: String(check.prefix(64)), severity: severity, message: String(message.prefix(2000)),
        subject: entry["subject"]?.stringValue, details: entry["details"])
    }
  }

  /// Stage-written files are bounded: statistics are small by construction.
  static let maximumFileBytes = 4 << 20

  static func readJSON(_ path: String) -> JSONValue? {
    guard OutputContractsCheck.fileSize(path) <= maximumFileBytes,
      let text = try? String(contentsOfFile: path, encoding: .utf8)
    else { return nil }
    return try? JSONCoding.parse(text)
  }
}
