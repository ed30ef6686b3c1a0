import Foundation

/// Enough Markdown for STATE.md: headings, lists, fenced code, paragraphs, `code` and **bold**.
/// Every piece of text is escaped before any tag is added, so the file cannot inject markup.
enum Markdown {
  static func html(_ text: String) -> String {
    var out = ""
    var paragraph: [String] = []
    var list: String?
    var inCode = false
    var code: [String] = []

    func flushParagraph() {
      if !paragraph.isEmpty { out += "<p>" + inline(paragraph.joined(separator: " ")) + "</p>" }
      paragraph = []
    }
    func closeList() {
      if let open = list { out += "</\(open)>" }
      list = nil
    }

    for raw in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
      if raw.hasPrefix("```") {
        if inCode {
          out += HTML.pre(code.joined(separator: "\n"))
          code = []
        } else {
          flushParagraph()
          closeList()
        }
        inCode.toggle()
        continue
      }
      if inCode {
        code.append(raw)
        continue
      }
      let line = raw.trimmingCharacters(in: .whitespaces)
      if line.isEmpty {
        flushParagraph()
        closeList()
      } else if let level = heading(line) {
        flushParagraph()
        closeList()
        let hashes = line.prefix(while: { $0 == "#" }).count
        out += "<h\(level)>" + inline(String(line.dropFirst(hashes + 1))) + "</h\(level)>"
      } else if let item = listItem(line) {
        flushParagraph()
        if list != item.kind {
          closeList()
          out += "<\(item.kind)>"
          list = item.kind
        }
        out += "<li>" + inline(item.text) + "</li>"
      } else {
        closeList()
        paragraph.append(line)
      }
    }
    if inCode { out += HTML.pre(code.joined(separator: "\n")) }
    flushParagraph()
    closeList()
    return out
  }

  private static func heading(_ line: String) -> Int? {
    let hashes = line.prefix(while: { $0 == "#" }).count
    guard (1...6).contains(hashes), line.dropFirst(hashes).first == " " else { return nil }
    return min(hashes + 1, 6)
  }

  private static func listItem(_ line: String) -> (kind: String, text: String)? {
    if line.hasPrefix("- ") || line.hasPrefix("* ") { return ("ul", String(line.dropFirst(2))) }
    let digits = line.prefix(while: \.isNumber)
    if !digits.isEmpty, line.dropFirst(digits.count).hasPrefix(". ") {
      return ("ol", String(line.dropFirst(digits.count + 2)))
    }
    return nil
  }

  /// `code` and **bold**, over escaped text.
  static func inline(_ text: String) -> String {
    var out = ""
    let parts = HTML.escape(text).components(separatedBy: "`")
    for (index, part) in parts.enumerated() {
      if index % 2 == 1 && index < parts.count - 1 {
        out += "<code>\(part)</code>"
      } else {
        if index % 2 == 1 { out += "`" }
        let bold = part.components(separatedBy: "**")
        for (boldIndex, piece) in bold.enumerated() {
          out += boldIndex % 2 == 1 && boldIndex < bold.count - 1 ? "<strong>\(piece)</strong>" : piece
        }
      }
    }
    return out
  }
}
