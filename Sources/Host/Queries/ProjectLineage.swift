import Foundation
import GRDB
import PluginKit

/// The project's lineage, a page of runs at a time: the newest `limit` runs from `offset` (of a
/// workspace or a stage when given), each with the version it ran, the sources and runs it read
/// and the sources it made. A run outside the page that fed one inside is drawn too, so every
/// edge has both ends; the graph stops at `LineageGraph.nodeLimit` nodes. The cost follows the
/// page, not the project: a hundred thousand runs draw as fast as a hundred.
public struct ProjectLineage: Encodable, Sendable {
  public var graph: LineageGraph
  /// Runs matching the filters, in all pages.
  public var total: Int
  public var limit: Int
  public var offset: Int
  public var workspace: String?
  public var stage: String?

  public static let defaultLimit = 40
  public static let limitRange = 1...150
}

extension RunQueries {
  public func projectLineage(
    workspace: String? = nil, stage: String? = nil, limit: Int = ProjectLineage.defaultLimit, offset: Int = 0
  ) throws(GoldfishError) -> ProjectLineage {
    guard ProjectLineage.limitRange.contains(limit), offset >= 0 else {
      throw GoldfishError(
        .invalidArgument, "limit is \(limit) and offset \(offset); a lineage page draws 1 to 150 runs from offset 0 on",
        hint: "pass limit between 1 and 150 (default 40) and a non-negative offset")
    }
    let page = try store.runPage(workspace: workspace, stage: stage, limit: limit, offset: offset)
    // A few reads for the whole page (inputs, their producers, sources read and made), not a
    // few per run.
    let ids = page.runs.map(\.run.id)
    let inputs = try store.inputSignals(ofRuns: ids)
    let read = try store.sourcesIncludingDeleted(named: Set(inputs.values.joined().compactMap(\.sourceName)))
    let made = try store.sourcesIncludingDeleted(madeByRuns: ids)
    var producerIDs = Set(inputs.values.joined().compactMap(\.sourceStageRunID))
    producerIDs.formUnion(read.values.compactMap(\.stageRunID))
    let producers = try store.stageRuns(ids: producerIDs)
    var builder = LineageGraphBuilder(store: store)
    // Oldest first, so a producer in the page is placed before the runs that read it.
    for view in page.runs.reversed() where !builder.full {
      let run = view.run
      builder.addRun(run, layer: 0)
      let node = "run:" + run.id
      for input in inputs[run.id] ?? [] {
        if let name = input.sourceName {
          let source = builder.addSource(name, layer: 0)
          builder.link(source, node, signal: input.signal)
          if let producer = read[name]?.stageRunID, let madeBy = producers[producer] {
            builder.addRun(madeBy, layer: 0)
            builder.link("run:" + producer, source, signal: input.signal)
          }
        } else if let producer = input.sourceStageRunID, let madeBy = producers[producer] {
          builder.addRun(madeBy, layer: 0)
          builder.link("run:" + producer, node, signal: input.signal)
        }
      }
      for source in made[run.id] ?? [] {
        builder.link(node, builder.addSource(source.name, layer: 0), signal: source.outputName)
      }
    }
    return ProjectLineage(
      graph: LineageGraph(root: "", nodes: builder.nodes, edges: builder.edges, truncated: builder.full),
      total: page.total, limit: limit, offset: offset, workspace: workspace, stage: stage)
  }
}

extension ProjectStore {
  /// The input signals of each run, by signal name.
  func inputSignals(ofRuns ids: [String]) throws(GoldfishError) -> [String: [SignalRecord]] {
    try read { db in
      let rows = try SignalRecord.filter(ids.contains(SignalRecord.CodingKeys.stageRunID))
        .filter(SignalRecord.CodingKeys.direction == "input").order(SignalRecord.CodingKeys.signal).fetchAll(db)
      return Dictionary(grouping: rows, by: \.stageRunID)
    }
  }

  func stageRuns(ids: Set<String>) throws(GoldfishError) -> [String: StageRunRecord] {
    try read { db in
      Dictionary(
        try StageRunRecord.fetchAll(db, keys: Array(ids)).map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }
  }

  /// Sources by name, deleted ones too (lineage outlives a registration).
  func sourcesIncludingDeleted(named names: Set<String>) throws(GoldfishError) -> [String: SourceRecord] {
    try read { db in
      Dictionary(
        try SourceRecord.fetchAll(db, keys: Array(names)).map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first }
      )
    }
  }

  /// The sources made from each run's outputs, deleted ones too, by name.
  func sourcesIncludingDeleted(madeByRuns ids: [String]) throws(GoldfishError) -> [String: [SourceRecord]] {
    try read { db in
      let rows = try SourceRecord.filter(ids.contains(SourceRecord.CodingKeys.stageRunID))
        .order(SourceRecord.CodingKeys.name).fetchAll(db)
      return Dictionary(grouping: rows, by: { $0.stageRunID ?? "" })
    }
  }
}
