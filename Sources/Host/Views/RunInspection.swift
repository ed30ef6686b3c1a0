import Foundation
import PluginKit

/// The parts `inspect_run` / `goldfish inspect` can show; `include` picks them.
public enum RunInspectPart: String, CaseIterable, Sendable {
  case dashboard, metadata, manifest, provenance, svs, thoughts, attempt

  /// Upstream's default.
  public static let defaults: Set<Self> = [.dashboard, .metadata, .thoughts]

  /// The parts `include` names (nil or empty: the defaults); a name that is not a part is
  /// refused with the ones that are.
  public static func parse(_ include: [String]?) throws(GoldfishError) -> Set<Self> {
    guard let include, !include.isEmpty else { return defaults }
    var parts: Set<Self> = []
    for name in include {
      guard let part = Self(rawValue: name.trimmingCharacters(in: .whitespaces).lowercased()) else {
        throw GoldfishError(
          .invalidArgument, "include has \"\(name.prefix(80))\", which is not a part of a run",
          hint: "include takes any of " + allCases.map(\.rawValue).joined(separator: ", "))
      }
      parts.insert(part)
    }
    return parts
  }
}

/// One stage run with the parts asked for, as both faces show it. Always `run_id`; then
/// - metadata: the run's fields, latest metric values, inputs, outputs, state history, config;
/// - dashboard: `RunDashboard`;
/// - manifest: `{config, inputs, outputs, reason}`;
/// - provenance: where its inputs came from, recursively (the lineage);
/// - svs: the run's reviews by moment (`RunSVSFindingsView.byMoment`), null when nothing reviewed it;
/// - thoughts: `[{timestamp, thought}]` logged about this run, newest first;
/// - attempt: `attempt_context`, "attempt #N, k failures" over the runs of the same workspace
///   and stage before this one.
public struct RunInspection: Encodable, Sendable {
  public var parts: Set<RunInspectPart>
  public var details: RunQueries.Details
  public var dashboard: RunDashboard?
  public var provenance: JSONValue?
  public var thoughts: [ThoughtRecord]?
  public var attempt: AttemptContext?
  /// nil: not asked for; .null: asked for, nothing reviewed the run.
  public var svs: JSONValue?

  enum Keys: String, CodingKey {
    case runID = "run_id", dashboard, manifest, provenance, svs, thoughts
    case attemptContext = "attempt_context"
  }

  public func encode(to encoder: any Encoder) throws {
    if parts.contains(.metadata) { try RunDetailView(details).encode(to: encoder) }
    var fields = encoder.container(keyedBy: Keys.self)
    try fields.encode(details.run.id, forKey: .runID)
    if let dashboard { try fields.encode(dashboard, forKey: .dashboard) }
    if parts.contains(.manifest) {
      let manifest: JSONValue = [
        "config": details.run.config.flatMap { try? JSONCoding.parse($0) } ?? .null,
        "inputs": .array(details.inputs.map(Self.signal)), "outputs": .array(details.outputs.map(Self.signal)),
        "reason": .string(details.run.reason),
      ]
      try fields.encode(manifest, forKey: .manifest)
    }
    if let provenance { try fields.encode(provenance, forKey: .provenance) }
    if parts.contains(.svs) { try fields.encode(svs ?? .null, forKey: .svs) }
    if let thoughts {
      let entries: [JSONValue] = thoughts.map { ["timestamp": .string($0.timestamp), "thought": .string($0.text)] }
      try fields.encode(entries, forKey: .thoughts)
    }
    if let attempt { try fields.encode(attempt.text, forKey: .attemptContext) }
  }

  static func signal(_ signal: SignalRecord) -> JSONValue {
    var entry: [String: JSONValue] = [
      "signal": .string(signal.signal), "type": .string(signal.signalType),
      "storage_location": signal.uri.map { .string($0) } ?? .null,
      "size_bytes": signal.sizeBytes.map { .int($0) } ?? .null, "hash": signal.hash.map { .string($0) } ?? .null,
    ]
    if let from = signal.sourceStageRunID { entry["from_run"] = .string(from) }
    if let source = signal.sourceName { entry["source"] = .string(source) }
    return .object(entry)
  }
}

extension RunQueries {
  /// The run with the parts `include` names (see `RunInspection`).
  public func inspect(
    _ id: String, include: [String]? = nil, now: Date = Date()
  ) throws(GoldfishError)
    -> RunInspection
  {
    let parts = try RunInspectPart.parse(include)
    let details = try details(id)
    let run = details.run
    return RunInspection(
      parts: parts, details: details,
      dashboard: parts.contains(.dashboard) ? try RunDashboard.build(run, store: store, now: now) : nil,
      // Not `? … : nil`: JSONValue takes a nil literal as its own null.
      provenance: parts.contains(.provenance) ? .some(try lineage(id)) : .none,
      thoughts: parts.contains(.thoughts) ? try store.thoughts(ofRun: id) : nil,
      attempt: parts.contains(.attempt) ? try store.attemptContext(of: run) : nil,
      svs: parts.contains(.svs) ? .some(try Self.svs(store.reviews(ofStageRun: id))) : .none)
  }

  private static func svs(_ reviews: [SVSReview]) -> JSONValue {
    reviews.isEmpty ? .null : RunSVSFindingsView.byMoment(reviews)
  }
}
