import Foundation
import PluginKit

/// The runs next to a run in lineage, directly (one read another's output) or through a source
/// made from a run's output (`artifact: true` or `promote_artifact`) that another run read as a
/// dataset. Both `get_lineage` and `lineage` (`goldfish lineage`) walk these.
public struct RunLinks: Sendable {
  /// One neighbour: the run, the signal that links them, and the source between them if any.
  public struct Link: Sendable, Equatable {
    public var runID: String
    public var signal: String
    public var viaSource: String?
  }

  let store: ProjectStore

  public init(store: ProjectStore) {
    self.store = store
  }

  /// The runs whose outputs a run read: named by its inputs, or the run that made the dataset it
  /// read. `signal` is the reading run's input name.
  public func producers(of runID: String) throws(GoldfishError) -> [Link] {
    var links: [Link] = []
    for input in try store.signals(of: runID) where input.direction == "input" {
      if let producer = input.sourceStageRunID {
        links.append(Link(runID: producer, signal: input.signal, viaSource: nil))
      } else if let name = input.sourceName, let source = try store.sourceIncludingDeleted(name),
        let producer = source.stageRunID
      {
        links.append(Link(runID: producer, signal: input.signal, viaSource: name))
      }
    }
    return links
  }

  /// The runs that read a run's outputs, directly or through a source made from them. `signal`
  /// is the reading run's input name.
  public func consumers(of runID: String) throws(GoldfishError) -> [Link] {
    var links = try store.consumers(of: runID).map { Link(runID: $0.stageRunID, signal: $0.signal, viaSource: nil) }
    for source in try madeSources(of: runID) {
      links += try store.consumers(ofSource: source.name).map {
        Link(runID: $0.stageRunID, signal: $0.signal, viaSource: source.name)
      }
    }
    return links
  }

  /// Sources made from a run's outputs (deleted ones too: lineage outlives a registration).
  public func madeSources(of runID: String) throws(GoldfishError) -> [SourceRecord] {
    try store.sources(madeBy: runID, includingDeleted: true)
  }
}
