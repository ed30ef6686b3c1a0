import Foundation

/// Bounds on the YAML goldfish reads (goldfish.yaml, pipelines, stage configs), checked
/// before the text reaches the YAML parser: a file the size of a dataset, a document nested
/// thousands of levels deep (the parser recurses once per level and would overflow its
/// stack), or a few anchors that expand into billions of nodes are refused with a message
/// instead of exhausting memory or crashing the process.
enum YAMLLimits {
  /// Far above any real configuration or pipeline, far below a memory problem.
  static let maxBytes = 4 << 20
  static let maxDepth = 64
  /// Values that aliases add when expanded (values written out in the file are not counted:
  /// their number is bounded by `maxBytes`); see `ExpansionBudget`.
  static let maxNodes = 100_000

  /// The text of a YAML file, or nil when there is none; refuses a file over `maxBytes`
  /// without reading it.
  static func read(_ path: String, file: String) throws(GoldfishError) -> String? {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    if Int64(info.st_size) > Int64(maxBytes) {
      throw tooLarge(file, bytes: Int64(info.st_size))
    }
    guard let data = FileManager.default.contents(atPath: path) else { return nil }
    if data.count > maxBytes { throw tooLarge(file, bytes: Int64(data.count)) }
    return try utf8(data, file: file)
  }

  /// The text of a file, refused when it is not UTF-8: decoding it leniently would turn the bad
  /// bytes into U+FFFD and report a file valid that other tools read differently.
  static func utf8(_ data: Data, file: String) throws(GoldfishError) -> String {
    if let text = String(validating: data, as: UTF8.self) { return text }
    var iterator = data.makeIterator()
    var parser = Unicode.UTF8.ForwardParser()
    var line = 1
    var column = 1
    while true {
      switch parser.parseScalar(from: &iterator) {
      case .valid(let scalar):
        if scalar.count == 1, scalar.first == UInt8(ascii: "\n") {
          line += 1
          column = 1
        } else {
          column += 1
        }
      case .error(let length):
        throw GoldfishError(
          .configInvalid,
          "\(file) is not valid UTF-8: line \(line), column \(column) has \(length) bad byte\(length == 1 ? "" : "s")",
          hint: "goldfish reads YAML as UTF-8: save the file as UTF-8, or remove the bytes at line \(line)",
          detail: ["file": .string(file), "line": .int(Int64(line))])
      case .emptyInput:
        return String(decoding: data, as: UTF8.self)
      }
    }
  }

  /// Refuses text that is too large or too deeply nested to parse safely.
  static func check(_ text: String, file: String) throws(GoldfishError) {
    let count = text.utf8.count
    if count > maxBytes { throw tooLarge(file, bytes: Int64(count)) }
    let depth = nestingDepth(text)
    if depth > maxDepth {
      throw GoldfishError(
        .configInvalid, "\(file) nests \(depth) levels deep; goldfish reads at most \(maxDepth)",
        hint: "flatten the structure", detail: ["file": .string(file), "depth": .int(Int64(depth))])
    }
  }

  static func tooManyNodes(_ file: String) -> GoldfishError {
    GoldfishError(
      .configInvalid,
      "\(file) expands to more than \(maxNodes) values through its aliases (each alias repeats its anchor's values)",
      hint: "remove the repeated aliases", detail: ["file": .string(file)])
  }

  private static func tooLarge(_ file: String, bytes: Int64) -> GoldfishError {
    GoldfishError(
      .configInvalid, "\(file) is \(bytes) bytes; goldfish reads YAML files of at most \(maxBytes) bytes",
      hint: "keep data out of YAML files: register it as a source",
      detail: ["file": .string(file), "bytes": .int(bytes)])
  }

  /// An upper bound of the document's nesting: block indentation levels, `- `/`? ` indicators
  /// that open a level on one line, and flow brackets outside quotes and comments. Block
  /// scalars (`|`, `>`) are skipped: their lines are text.
  static func nestingDepth(_ text: String) -> Int {
    var deepest = 0
    var flow = 0
    var indents: [Int] = []
    var blockScalarIndent: Int?
    for line in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
      let bytes = Array(line)
      var start = 0
      while start < bytes.count, bytes[start] == UInt8(ascii: " ") { start += 1 }
      if start == bytes.count || bytes[start] == UInt8(ascii: "#") || bytes[start] == UInt8(ascii: "\r") { continue }
      if let scalarIndent = blockScalarIndent {
        if start > scalarIndent { continue }
        blockScalarIndent = nil
      }
      if flow == 0 {
        while let last = indents.last, last >= start { indents.removeLast() }
        indents.append(start)
      }
      var position = start
      var inline = 0
      while position < bytes.count, bytes[position] == UInt8(ascii: "-") || bytes[position] == UInt8(ascii: "?"),
        position + 1 == bytes.count || bytes[position + 1] == UInt8(ascii: " ")
      {
        inline += 1
        position += 1
        while position < bytes.count, bytes[position] == UInt8(ascii: " ") { position += 1 }
      }
      var quote: UInt8?
      var last: UInt8 = UInt8(ascii: " ")
      var index = position
      while index < bytes.count {
        let byte = bytes[index]
        if let open = quote {
          if byte == UInt8(ascii: "\\"), open == UInt8(ascii: "\"") {
            index += 1
          } else if byte == open {
            quote = nil
          }
        } else {
          switch byte {
          case UInt8(ascii: "#") where last == UInt8(ascii: " ") || last == UInt8(ascii: "\t"):
            index = bytes.count
            continue
          case UInt8(ascii: "\""), UInt8(ascii: "'"):
            if index == position || " [{,:".utf8.contains(last) { quote = byte }
          case UInt8(ascii: "["), UInt8(ascii: "{"):
            flow += 1
            deepest = max(deepest, indents.count + inline + flow)
          case UInt8(ascii: "]"), UInt8(ascii: "}"):
            flow = max(0, flow - 1)
          default: break
          }
        }
        last = byte
        index += 1
      }
      deepest = max(deepest, indents.count + inline + flow)
      if flow == 0, opensBlockScalar(bytes) { blockScalarIndent = start }
    }
    return deepest
  }

  /// `key: |`, `- >-`, `key: |2+` and the like, possibly followed by a comment.
  private static func opensBlockScalar(_ bytes: [UInt8]) -> Bool {
    var end = bytes.count
    if let hash = bytes.firstIndex(of: UInt8(ascii: "#")), hash > 0, bytes[hash - 1] == UInt8(ascii: " ") { end = hash }
    while end > 0, bytes[end - 1] == UInt8(ascii: " ") || bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
    var index = end
    while index > 0, "+-0123456789".utf8.contains(bytes[index - 1]) { index -= 1 }
    guard index > 0, bytes[index - 1] == UInt8(ascii: "|") || bytes[index - 1] == UInt8(ascii: ">") else {
      return false
    }
    return index == 1 || bytes[index - 2] == UInt8(ascii: " ")
  }
}
