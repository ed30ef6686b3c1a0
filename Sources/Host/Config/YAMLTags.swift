import Yams

/// The tags goldfish accepts in YAML: only those that name a plain value (string, number,
/// boolean, null, list, mapping). A tag such as `!!python/object/apply:os.system` means "build
/// this object" to the tools that honour it; goldfish would read it as the text beside it and
/// call the file valid, so any other tag is refused with its line.
enum YAMLTags {
  static let prefix = "tag:yaml.org,2002:"
  static let string = prefix + "str"
  /// Explicit tags whose value must be of that type, by tag: the type's name.
  static let typed = [
    prefix + "int": "int", prefix + "float": "float", prefix + "bool": "bool", prefix + "null": "null",
  ]
  /// No tag, the non-specific `!`, and those the parser itself resolves plain scalars to (it
  /// writes them into mapping keys while looking for duplicates).
  static let allowed: Set<String> = Set(
    ["", "!", string, prefix + "seq", prefix + "map", prefix + "merge", prefix + "timestamp", prefix + "value"]
      + typed.keys)

  static func check(_ node: Node, file: String) throws(GoldfishError) {
    let tag: Tag
    switch node {
    case .scalar(let scalar): tag = scalar.tag
    case .sequence(let sequence): tag = sequence.tag
    case .mapping(let mapping): tag = mapping.tag
    case .alias: return
    }
    let name = tag.rawValue
    guard !allowed.contains(name) else { return }
    let shown = ValueQuote.short(name.hasPrefix(prefix) ? "!!" + name.dropFirst(prefix.count) : name)
    let line = node.mark.map { ", line \($0.line)" } ?? ""
    throw GoldfishError(
      .configInvalid,
      "\(file)\(line): the tag \(shown) is not allowed; goldfish reads plain YAML values (strings, numbers, booleans, lists, mappings), never tagged objects",
      hint: "remove the tag; put the value in quotes if you meant the text",
      detail: ["file": .string(file), "tag": .string(shown), "line": node.mark.map { .int(Int64($0.line)) } ?? .null])
  }
}
