import GRDB
import PluginKit

/// The SVS findings of a finalized run next to those of the run before it, in finalize_run's
/// comparison: a better number from a run whose outputs broke their contract is read with that in mind.
public struct SVSFindingsComparison: Codable, Sendable, Equatable {
  public struct RunFindings: Codable, Sendable, Equatable {
    public var stageRunID: String
    /// The worst decision of its reviews: blocked > warned > approved.
    public var decision: String
    /// `severity [check] message`, warnings and errors only.
    public var findings: [String]

    enum CodingKeys: String, CodingKey {
      case stageRunID = "stage_run_id", decision, findings
    }
  }

  public var thisRun: RunFindings?
  public var previousRun: RunFindings?

  enum CodingKeys: String, CodingKey {
    case thisRun = "this_run", previousRun = "previous_run"
  }

  public func encode(to encoder: any Encoder) throws {
    var fields = encoder.container(keyedBy: CodingKeys.self)
    // A run not reviewed is null, not missing: "the previous run had no findings" is read from the key.
    try fields.encode(thisRun, forKey: .thisRun)
    try fields.encode(previousRun, forKey: .previousRun)
  }

  static func compute(_ db: Database, run: String, previous: String?) throws -> SVSFindingsComparison? {
    let this = try findings(db, run)
    let before = try previous.flatMap { try findings(db, $0) }
    guard this != nil || before != nil else { return nil }
    return SVSFindingsComparison(thisRun: this, previousRun: before)
  }

  private static func findings(_ db: Database, _ run: String) throws -> RunFindings? {
    let rows = try Row.fetchAll(
      db, sql: "SELECT decision, findings FROM svs_reviews WHERE stage_run_id = ? ORDER BY id", arguments: [run])
    guard !rows.isEmpty else { return nil }
    let decisions = rows.map { $0["decision"] as String }
    let decision = ["blocked", "warned"].first { decisions.contains($0) } ?? "approved"
    let messages = rows.flatMap { row -> [String] in
      let list = (try? JSONCoding.decode([SVSFinding].self, from: row["findings"] as String)) ?? []
      return list.filter { $0.severity >= .warning }.map { "\($0.severity.rawValue) [\($0.check)] \($0.message)" }
    }
    return RunFindings(stageRunID: run, decision: decision, findings: messages)
  }
}
