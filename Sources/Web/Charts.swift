import Foundation
import Host

/// Line charts as SVG, drawn by the server: one metric, one or more series overlaid. Points are
/// the downsampled series `RunQueries.metricSeries` returns (min and max of every bucket kept),
/// so a spike in a million points still shows.
enum Charts {
  static let palette = ["#2f6fed", "#e8590c", "#12805c", "#9c36b5", "#c4320a", "#0b7285", "#5c940d", "#862e9c"]

  struct Line {
    var label: String
    var points: [MetricSeriesView.Point]
  }

  static func line(metric: String, lines: [Line], width: Double = 560, height: Double = 220) -> String {
    let left = 58.0
    let right = 14.0
    let top = 26.0
    let bottom = 30.0
    let all = lines.flatMap(\.points)
    guard !all.isEmpty else { return "<p class=muted>\(HTML.escape(metric)): no points yet</p>" }
    let xs = lines.flatMap { line in line.points.enumerated().map { Double($0.element.step ?? $0.offset) } }
    var (minX, maxX) = (xs.min() ?? 0, xs.max() ?? 1)
    var (minY, maxY) = (all.map(\.value).min() ?? 0, all.map(\.value).max() ?? 1)
    if maxX == minX { maxX = minX + 1 }
    if maxY == minY {
      minY -= 0.5
      maxY += 0.5
    }
    let plotW = width - left - right
    let plotH = height - top - bottom
    func px(_ x: Double) -> Double { left + (x - minX) / (maxX - minX) * plotW }
    func py(_ y: Double) -> Double { top + (1 - (y - minY) / (maxY - minY)) * plotH }
    var svg =
      "<svg class=chart data-metric=\"\(HTML.escape(metric))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=img "
      + "aria-label=\"\(HTML.escape(metric))\" xmlns=\"http://www.w3.org/2000/svg\">"
    svg += "<text x=\"\(Int(left))\" y=\"16\" style=\"font-weight:600;fill:#1d2433\">\(HTML.escape(metric))</text>"
    for tick in 0...4 {
      let value = minY + (maxY - minY) * Double(tick) / 4
      let y = py(value)
      svg += "<line x1=\"\(f(left))\" x2=\"\(f(width - right))\" y1=\"\(f(y))\" y2=\"\(f(y))\" stroke=\"#e4e7ec\"/>"
      svg += "<text x=\"\(f(left - 6))\" y=\"\(f(y + 4))\" text-anchor=end>\(HTML.escape(HTML.number(value)))</text>"
    }
    // Whole steps only: with fewer than four steps between ends, fewer ticks.
    let xTicks = Array(Set((0...4).map { (minX + (maxX - minX) * Double($0) / 4).rounded() })).sorted()
    for value in xTicks {
      svg +=
        "<text x=\"\(f(px(value)))\" y=\"\(f(height - 10))\" text-anchor=middle>\(HTML.escape(HTML.number(value.rounded())))</text>"
    }
    for (index, line) in lines.enumerated() {
      let color = palette[index % palette.count]
      let coordinates = line.points.enumerated().map { offset, point in
        "\(f(px(Double(point.step ?? offset)))),\(f(py(point.value)))"
      }
      svg +=
        "<polyline class=series data-run=\"\(HTML.escape(line.label))\" data-points=\"\(line.points.count)\" fill=none "
        + "stroke=\"\(color)\" stroke-width=1.6 stroke-linejoin=round points=\"\(coordinates.joined(separator: " "))\"/>"
    }
    svg += "</svg>"
    guard lines.count > 1 else { return svg }
    let legend = lines.enumerated().map { index, line in
      "<span><i style=\"background:\(palette[index % palette.count])\"></i>\(HTML.escape(line.label))</span>"
    }
    return svg + "<div class=legend>\(legend.joined())</div>"
  }

  private static func f(_ value: Double) -> String { String(format: "%.1f", value) }
}
