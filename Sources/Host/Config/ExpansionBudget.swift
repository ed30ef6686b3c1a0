import Yams

/// Counts the work aliases add to a YAML document: each value converted a second time (an alias
/// repeats its anchor's subtree, which keeps the anchor's place in the file). What is literally in
/// the file costs nothing here (its size is bounded by `YAMLLimits.maxBytes`), so a pipeline of
/// 20,000 stages is read while ten anchors of ten aliases each are refused.
struct ExpansionBudget {
  private struct Place: Hashable {
    var line: Int
    var column: Int
    var kind: UInt8
  }

  private var seen: Set<Place> = []
  private(set) var repeated = 0

  mutating func visit(_ node: Node, file: String) throws(GoldfishError) {
    let kind: UInt8
    switch node {
    case .scalar: kind = 0
    case .sequence: kind = 1
    case .mapping: kind = 2
    case .alias: kind = 3
    }
    if let mark = node.mark, seen.insert(Place(line: mark.line, column: mark.column, kind: kind)).inserted {
      return
    }
    repeated += 1
    if repeated > YAMLLimits.maxNodes { throw YAMLLimits.tooManyNodes(file) }
  }
}
