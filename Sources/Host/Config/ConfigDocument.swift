import Foundation
import PluginKit
import Yams

/// goldfish.yaml as a JSON tree, with the line of every key so errors can point at it.
public struct ConfigDocument: Sendable {
  public let path: String?
  public let root: JSONValue
  private let lines: [String: Int]

  public init(yaml text: String, path: String? = nil) throws(GoldfishError) {
    try YAMLLimits.check(text, file: path ?? "goldfish.yaml")
    try self.init(composed: try Self.compose(text, file: path ?? "goldfish.yaml"), path: path)
  }

  /// The YAML tree of `text` (nil for an empty document); the caller checked it against `YAMLLimits`.
  static func compose(_ text: String, file: String) throws(GoldfishError) -> Node? {
    do {
      return try Yams.compose(yaml: text)
    } catch let error as YamlError {
      throw GoldfishError(
        .configInvalid, "\(file) is not valid YAML: \(Self.describe(error))",
        hint: "fix the YAML syntax at the position shown")
    } catch {
      throw GoldfishError(.configInvalid, "\(file) is not valid YAML: \(error)")
    }
  }

  /// A document from a tree `compose` made, so a caller that looked at the tree first (is it a
  /// mapping?) does not parse the text twice.
  init(composed node: Node?, path: String?) throws(GoldfishError) {
    var lines: [String: Int] = [:]
    var work = ExpansionBudget()
    self.root =
      try node.map { node throws(GoldfishError) in
        try Self.convert(node, at: "", lines: &lines, work: &work, file: path ?? "goldfish.yaml")
      } ?? [:]
    guard root.objectValue != nil else {
      throw GoldfishError(
        .configInvalid, "\(path ?? "goldfish.yaml") must be a mapping of sections (project_name:, jobs:, …)")
    }
    self.lines = lines
    self.path = path
  }

  public static func load(_ path: String) throws(GoldfishError) -> ConfigDocument {
    guard let text = try YAMLLimits.read(path, file: path) else {
      throw GoldfishError(
        .configNotFound, "cannot read \(path)",
        hint: "run `goldfish init NAME` to create a project, or pass --project to point at one")
    }
    return try ConfigDocument(yaml: text, path: path)
  }

  public func value(at keyPath: String) -> JSONValue? {
    var current: JSONValue? = root
    for key in keyPath.split(separator: ".") { current = current?[String(key)] }
    return current
  }

  /// The section a service is opened (and checked) with: the top-level key named after the
  /// service, with upstream's old places applied as GoldfishConfig notes them: `jobs.gce:` is
  /// the `gce:` section, and `gce.gcs_bucket` is the `gcs` bucket when `gcs.bucket` is not set.
  public func section(_ name: String) -> JSONValue {
    let written = root[name].flatMap { $0.isNull ? nil : $0 }
    switch name {
    case "gce":
      return written ?? root["jobs"]?["gce"].flatMap { $0.isNull ? nil : $0 } ?? [:]
    case "gcs":
      guard var fields = (written ?? [:]).objectValue, fields["bucket"] == nil,
        let bucket = section("gce")["gcs_bucket"], bucket.stringValue != nil
      else { return written ?? [:] }
      fields["bucket"] = bucket
      return .object(fields)
    default:
      return written ?? [:]
    }
  }

  public func line(of keyPath: String) -> Int? { lines[keyPath] }

  /// "goldfish.yaml:12: plugins.paths" — where a key is, for error messages.
  public func locate(_ keyPath: String) -> String {
    let file = path.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "goldfish.yaml"
    let shown = ValueQuote.short(keyPath)
    return line(of: keyPath).map { "\(file):\($0): \(shown)" } ?? "\(file): \(shown)"
  }

  private static func convert(
    _ node: Node, at path: String, lines: inout [String: Int], work: inout ExpansionBudget, file: String
  ) throws(GoldfishError) -> JSONValue {
    // Aliases make a small document a huge tree: every value converted again is work the file
    // does not show, and is counted.
    try work.visit(node, file: file)
    try YAMLTags.check(node, file: file)
    switch node {
    case .scalar(let scalar):
      return try scalarValue(scalar, file: file)
    case .sequence(let sequence):
      var items: [JSONValue] = []
      for (index, item) in sequence.enumerated() {
        let itemPath = "\(path)[\(index)]"
        lines[itemPath] = item.mark.map { $0.line }
        items.append(try convert(item, at: itemPath, lines: &lines, work: &work, file: file))
      }
      return .array(items)
    case .mapping(let mapping):
      var fields: [String: JSONValue] = [:]
      for (key, value) in mapping {
        try YAMLTags.check(key, file: file)
        guard let name = key.string else {
          throw GoldfishError(.configInvalid, "a key under \(path.isEmpty ? "the top level" : path) is not a string")
        }
        let keyPath = path.isEmpty ? name : "\(path).\(name)"
        lines[keyPath] = key.mark.map { $0.line }
        fields[name] = try convert(value, at: keyPath, lines: &lines, work: &work, file: file)
      }
      return .object(fields)
    case .alias:
      return .null
    }
  }

  private static func scalarValue(_ scalar: Node.Scalar, file: String) throws(GoldfishError) -> JSONValue {
    let explicit = scalar.tag.rawValue
    if explicit == YAMLTags.string { return .string(scalar.string) }
    let expected = YAMLTags.typed[explicit]
    let value = plainValue(scalar, typed: expected != nil)
    guard let expected else { return value }
    let matches =
      switch (expected, value) {
      case ("int", .int), ("float", .double), ("float", .int), ("bool", .bool), ("null", .null): true
      default: false
      }
    if !matches {
      throw GoldfishError(
        .configInvalid,
        "\(file):\(scalar.mark?.line ?? 0): !!\(expected) \"\(ValueQuote.short(scalar.string))\" is not a\(expected == "int" ? "n" : "") \(expected)",
        hint: "write a \(expected) value, or drop the tag")
    }
    if expected == "float", case .int(let integer) = value { return .double(Double(integer)) }
    return value
  }

  /// The value goldfish gives an untagged scalar (YAML 1.1's yes/no/on/off included); a typed tag
  /// (`!!int "7"`) reads quoted text too.
  private static func plainValue(_ scalar: Node.Scalar, typed: Bool) -> JSONValue {
    if scalar.style != .plain && !typed { return .string(scalar.string) }
    let text = scalar.string
    switch text {
    case "", "~", "null", "Null", "NULL": return .null
    case "true", "True", "TRUE", "yes", "Yes", "on": return .bool(true)
    case "false", "False", "FALSE", "no", "No", "off": return .bool(false)
    default: break
    }
    if let integer = Int64(text) { return .int(integer) }
    if let number = Double(text), text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) {
      return .double(number)
    }
    return .string(text)
  }

  private static func describe(_ error: YamlError) -> String {
    "\(error)".split(separator: "\n").first.map(String.init) ?? "\(error)"
  }
}
