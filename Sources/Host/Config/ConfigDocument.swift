import Foundation
import PluginKit
import Yams

/// goldfish.yaml as a JSON tree, with the line of every key so errors can point at it.
public struct ConfigDocument: Sendable {
  public let path: String?
  public let root: JSONValue
  private let lines: [String: Int]

  public init(yaml text: String, path: String? = nil) throws(GoldfishError) {
    let node: Node?
    try YAMLLimits.check(text, file: path ?? "goldfish.yaml")
    do {
      node = try Yams.compose(yaml: text)
    } catch let error as YamlError {
      throw GoldfishError(
        .configInvalid, "\(path ?? "goldfish.yaml") is not valid YAML: \(Self.describe(error))",
        hint: "fix the YAML syntax at the position shown")
    } catch {
      throw GoldfishError(.configInvalid, "\(path ?? "goldfish.yaml") is not valid YAML: \(error)")
    }
    var lines: [String: Int] = [:]
    var budget = YAMLLimits.maxNodes
    self.root =
      try node.map { node throws(GoldfishError) in
        try Self.convert(node, at: "", lines: &lines, budget: &budget, file: path ?? "goldfish.yaml")
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

  /// The section a service is opened with: the top-level key named after the service.
  public func section(_ name: String) -> JSONValue {
    root[name] ?? [:]
  }

  public func line(of keyPath: String) -> Int? { lines[keyPath] }

  /// "goldfish.yaml:12: plugins.paths" — where a key is, for error messages.
  public func locate(_ keyPath: String) -> String {
    let file = path.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "goldfish.yaml"
    return line(of: keyPath).map { "\(file):\($0): \(keyPath)" } ?? "\(file): \(keyPath)"
  }

  private static func convert(
    _ node: Node, at path: String, lines: inout [String: Int], budget: inout Int, file: String
  ) throws(GoldfishError) -> JSONValue {
    // Aliases make a small document a huge tree: count every value converted.
    budget -= 1
    if budget < 0 { throw YAMLLimits.tooManyNodes(file) }
    switch node {
    case .scalar(let scalar):
      return scalarValue(scalar)
    case .sequence(let sequence):
      var items: [JSONValue] = []
      for (index, item) in sequence.enumerated() {
        let itemPath = "\(path)[\(index)]"
        lines[itemPath] = item.mark.map { $0.line }
        items.append(try convert(item, at: itemPath, lines: &lines, budget: &budget, file: file))
      }
      return .array(items)
    case .mapping(let mapping):
      var fields: [String: JSONValue] = [:]
      for (key, value) in mapping {
        guard let name = key.string else {
          throw GoldfishError(.configInvalid, "a key under \(path.isEmpty ? "the top level" : path) is not a string")
        }
        let keyPath = path.isEmpty ? name : "\(path).\(name)"
        lines[keyPath] = key.mark.map { $0.line }
        fields[name] = try convert(value, at: keyPath, lines: &lines, budget: &budget, file: file)
      }
      return .object(fields)
    case .alias:
      return .null
    }
  }

  private static func scalarValue(_ scalar: Node.Scalar) -> JSONValue {
    if scalar.style != .plain { return .string(scalar.string) }
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
