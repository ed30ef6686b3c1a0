import Foundation
import Host

/// A lineage graph drawn as SVG, left (upstream) to right (downstream): one column per layer,
/// run nodes as links to their run page.
enum LineageDrawing {
  static func svg(_ graph: LineageGraph, runLink: (String) -> String) -> String {
    let boxW = 170.0
    let boxH = 40.0
    let gapX = 70.0
    let gapY = 18.0
    let depth = depths(graph)
    let layers = Array(Set(depth.values)).sorted()
    var position: [String: (x: Double, y: Double)] = [:]
    var tallest = 0
    for (column, layer) in layers.enumerated() {
      let members = graph.nodes.filter { depth[$0.id] == layer }
      tallest = max(tallest, members.count)
      for (row, node) in members.enumerated() {
        position[node.id] = (20 + Double(column) * (boxW + gapX), 20 + Double(row) * (boxH + gapY))
      }
    }
    let width = 40 + Double(layers.count) * (boxW + gapX) - gapX
    let height = 40 + Double(tallest) * (boxH + gapY) - gapY
    var svg =
      "<svg class=lineage viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"\(Int(width))\" height=\"\(Int(height))\" "
      + "xmlns=\"http://www.w3.org/2000/svg\" style=\"max-width:100%;height:auto\">"
      + "<defs><marker id=arrow viewBox=\"0 0 10 10\" refX=9 refY=5 markerWidth=7 markerHeight=7 orient=auto>"
      + "<path d=\"M0,0 L10,5 L0,10 z\" fill=\"#98a2b3\"/></marker></defs>"
    for edge in graph.edges {
      guard let from = position[edge.from], let to = position[edge.to] else { continue }
      let (x1, y1) = (from.x + boxW, from.y + boxH / 2)
      let (x2, y2) = (to.x, to.y + boxH / 2)
      let bend = max(30, abs(x2 - x1) / 2)
      svg +=
        "<path d=\"M\(f(x1)),\(f(y1)) C\(f(x1 + bend)),\(f(y1)) \(f(x2 - bend)),\(f(y2)) \(f(x2)),\(f(y2))\" fill=none "
        + "stroke=\"#98a2b3\" stroke-width=1.4 marker-end=\"url(#arrow)\"><title>\(HTML.escape(edge.signal ?? "version"))</title></path>"
      if let signal = edge.signal {
        svg +=
          "<text x=\"\(f((x1 + x2) / 2))\" y=\"\(f((y1 + y2) / 2 - 4))\" text-anchor=middle "
          + "style=\"font:10px system-ui,sans-serif;fill:#667085\">\(HTML.escape(signal))</text>"
      }
    }
    for node in graph.nodes {
      guard let at = position[node.id] else { continue }
      let (fill, stroke) = colors(node)
      let rootMark = node.run == graph.root ? " stroke-width=\"2.5\"" : ""
      var box =
        "<rect x=\"\(f(at.x))\" y=\"\(f(at.y))\" width=\"\(f(boxW))\" height=\"\(f(boxH))\" rx=7 fill=\"\(fill)\" "
        + "stroke=\"\(stroke)\"\(rootMark)/>"
      let kind = node.kind == .run ? (node.state ?? "run").replacingOccurrences(of: "_", with: " ") : node.kind.rawValue
      box +=
        "<text x=\"\(f(at.x + 10))\" y=\"\(f(at.y + 17))\" style=\"font:600 12px system-ui,sans-serif;fill:#1d2433\">"
        + "\(HTML.escape(String(node.label.prefix(22))))</text>"
      box +=
        "<text x=\"\(f(at.x + 10))\" y=\"\(f(at.y + 32))\" style=\"font:10px system-ui,sans-serif;fill:#667085\">"
        + "\(HTML.escape(String(kind.prefix(30))))</text>"
      if let run = node.run {
        svg +=
          "<a class=node href=\"\(HTML.escape(runLink(run)))\" data-run=\"\(HTML.escape(run))\"><title>\(HTML.escape(run))</title>\(box)</a>"
      } else {
        svg += "<g class=node data-node=\"\(HTML.escape(node.id))\">\(box)</g>"
      }
    }
    return svg + "</svg>"
  }

  /// Each node's column: the longest path of edges reaching it, so every edge points right
  /// (a run after both the runs it read from). Bounded passes, in case of a cycle.
  static func depths(_ graph: LineageGraph) -> [String: Int] {
    var depth = Dictionary(graph.nodes.map { ($0.id, 0) }, uniquingKeysWith: { first, _ in first })
    for _ in 0..<min(graph.nodes.count, 64) {
      var moved = false
      for edge in graph.edges {
        guard let from = depth[edge.from], let to = depth[edge.to], to < from + 1 else { continue }
        depth[edge.to] = from + 1
        moved = true
      }
      if !moved { break }
    }
    return depth
  }

  private static func colors(_ node: LineageGraph.Node) -> (String, String) {
    switch node.kind {
    case .source: return ("#fef6ee", "#e8590c")
    case .version: return ("#f4f3ff", "#7a5af8")
    case .run:
      switch node.state {
      case "completed": return ("#ecfdf3", "#12805c")
      case "failed", "terminated": return ("#fef3f2", "#c4320a")
      default: return ("#eff4ff", "#2f6fed")
      }
    }
  }

  private static func f(_ value: Double) -> String { String(format: "%.1f", value) }
}
