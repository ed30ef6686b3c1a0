import Foundation

/// A run's lineage as a graph to draw: the run, the runs upstream whose outputs it read (and
/// theirs, `depth` levels up), the runs downstream that read its outputs, the sources between
/// them and the workspace version each run ran. `layer` places a node: 0 for the run, negative
/// upstream, positive downstream, so a face can lay the graph out left to right.
public struct LineageGraph: Encodable, Sendable {
  public struct Node: Encodable, Sendable, Equatable {
    public enum Kind: String, Encodable, Sendable { case run, source, version }
    public var id: String
    public var kind: Kind
    public var label: String
    public var layer: Int
    /// The run's state (run nodes only).
    public var state: String?
    /// The stage run id (run nodes only), for a link to it.
    public var run: String?
  }

  public struct Edge: Encodable, Sendable, Equatable {
    public var from: String
    public var to: String
    /// The signal that flows along it (the reading run's input name); nil for version edges.
    public var signal: String?
  }

  public var root: String
  public var nodes: [Node]
  public var edges: [Edge]
  /// True when the walk stopped at `nodeLimit` nodes.
  public var truncated: Bool

  public static let nodeLimit = 300
}

extension RunQueries {
  public func lineageGraph(_ id: String, depth: Int = 6) throws(GoldfishError) -> LineageGraph {
    var builder = LineageGraphBuilder(store: store)
    let root = try run(id)
    builder.addRun(root, layer: 0)
    var upstream = [(root.id, 0)]
    while let next = upstream.popLast() {
      let (runID, layer) = next
      guard layer > -depth, !builder.full else { continue }
      for input in try store.signals(of: runID) where input.direction == "input" {
        var producer = input.sourceStageRunID
        if let name = input.sourceName {
          let sourceNode = builder.addSource(name, layer: layer - 1)
          builder.link(sourceNode, "run:" + runID, signal: input.signal)
          if producer == nil { producer = try store.sourceIncludingDeleted(name)?.stageRunID }
          if let producer, let made = try store.stageRun(producer), builder.addRun(made, layer: layer - 2) {
            builder.link("run:" + producer, sourceNode, signal: input.signal)
            upstream.append((producer, layer - 2))
          } else if let producer {
            builder.link("run:" + producer, sourceNode, signal: input.signal)
          }
        } else if let producer, let made = try store.stageRun(producer) {
          if builder.addRun(made, layer: layer - 1) { upstream.append((producer, layer - 1)) }
          builder.link("run:" + producer, "run:" + runID, signal: input.signal)
        }
      }
    }
    let links = RunLinks(store: store)
    for source in try links.madeSources(of: root.id) {
      builder.link("run:" + root.id, builder.addSource(source.name, layer: 1), signal: source.outputName)
    }
    for link in try links.consumers(of: root.id) where !builder.full {
      guard let consumer = try store.stageRun(link.runID) else { continue }
      let from = link.viaSource.map { "source:" + $0 } ?? "run:" + root.id
      builder.addRun(consumer, layer: link.viaSource == nil ? 1 : 2)
      builder.link(from, "run:" + consumer.id, signal: link.signal)
    }
    return LineageGraph(root: root.id, nodes: builder.nodes, edges: builder.edges, truncated: builder.full)
  }
}

/// Collects nodes once each (the first layer a node is met at wins) and edges once each.
struct LineageGraphBuilder {
  let store: ProjectStore
  var nodes: [LineageGraph.Node] = []
  var edges: [LineageGraph.Edge] = []
  private var seen = Set<String>()
  private var seenEdges = Set<String>()

  init(store: ProjectStore) { self.store = store }

  var full: Bool { nodes.count >= LineageGraph.nodeLimit }

  /// Adds a run and the version it ran; false when it was already there.
  @discardableResult
  mutating func addRun(_ run: StageRunRecord, layer: Int) -> Bool {
    let id = "run:" + run.id
    guard seen.insert(id).inserted else { return false }
    nodes.append(.init(id: id, kind: .run, label: run.stage, layer: layer, state: run.state.rawValue, run: run.id))
    let version = "version:\(run.workspace)@v\(run.version)"
    if seen.insert(version).inserted {
      nodes.append(.init(id: version, kind: .version, label: "\(run.workspace)@v\(run.version)", layer: layer - 1))
    }
    link(version, id, signal: nil)
    return true
  }

  mutating func addSource(_ name: String, layer: Int) -> String {
    let id = "source:" + name
    if seen.insert(id).inserted { nodes.append(.init(id: id, kind: .source, label: name, layer: layer)) }
    return id
  }

  mutating func link(_ from: String, _ to: String, signal: String?) {
    guard seenEdges.insert(from + "→" + to + "|" + (signal ?? "")).inserted else { return }
    edges.append(.init(from: from, to: to, signal: signal))
  }
}
