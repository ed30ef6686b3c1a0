import Foundation

/// Text made safe for HTML, and the small pieces pages are built from.
enum HTML {
  static func escape(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for character in text {
      switch character {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&#39;"
      default: out.append(character)
      }
    }
    return out
  }

  /// A path segment or query value made safe for a URL.
  static func component(_ text: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
  }

  static func link(_ href: String, _ text: String, attributes: String = "") -> String {
    "<a href=\"\(escape(href))\"\(attributes.isEmpty ? "" : " " + attributes)>\(escape(text))</a>"
  }

  static func table(_ headers: [String], _ rows: [[String]], id: String? = nil, empty: String = "none") -> String {
    guard !rows.isEmpty else { return "<p class=muted\(id.map { " id=\"\($0)\"" } ?? "")>\(escape(empty))</p>" }
    let head = headers.map { "<th>\(escape($0))</th>" }.joined()
    let body = rows.map { "<tr>" + $0.map { "<td>\($0)</td>" }.joined() + "</tr>" }.joined()
    return "<table\(id.map { " id=\"\($0)\"" } ?? "")><thead><tr>\(head)</tr></thead><tbody>\(body)</tbody></table>"
  }

  /// A run state as a coloured badge.
  static func state(_ state: String) -> String {
    "<span class=\"badge s-\(escape(state))\">\(escape(state.replacingOccurrences(of: "_", with: " ")))</span>"
  }

  static func bytes(_ size: Int64?) -> String {
    guard let size else { return "—" }
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(size)
    var unit = 0
    while value >= 1024, unit < units.count - 1 {
      value /= 1024
      unit += 1
    }
    return unit == 0 ? "\(size) B" : String(format: "%.1f %@", value, units[unit])
  }

  static func number(_ value: Double) -> String {
    if value == value.rounded(), abs(value) < 1e9 { return String(Int(value)) }
    if abs(value) >= 1e-3 && abs(value) < 1e6 { return String(format: "%.4g", value) }
    return String(format: "%.3e", value)
  }

  /// A timestamp shortened to date and time to the second.
  static func time(_ stamp: String?) -> String {
    guard let stamp else { return "—" }
    return escape(String(stamp.replacingOccurrences(of: "T", with: " ").prefix(19)))
  }

  static func pre(_ text: String, id: String? = nil) -> String {
    "<pre\(id.map { " id=\"\($0)\"" } ?? "")>\(escape(text))</pre>"
  }
}
