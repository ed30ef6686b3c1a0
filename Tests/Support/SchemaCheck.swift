import Foundation
import PluginKit

/// Checks a JSON value against the subset of JSON Schema (2020-12) that docs/schemas uses: type,
/// enum, required, properties, additionalProperties, propertyNames, items, minItems, minimum,
/// pattern. Returns one line per violation, naming the path.
enum SchemaCheck {
  static func problems(_ value: JSONValue, _ schema: JSONValue, at path: String = "$") -> [String] {
    var found: [String] = []
    if let types = schema["type"] {
      let allowed = types.arrayValue?.compactMap(\.stringValue) ?? [types.stringValue].compactMap { $0 }
      if !allowed.contains(where: { matches(value, type: $0) }) {
        return ["\(path): \(describe(value)) is not \(allowed.joined(separator: " or "))"]
      }
    }
    if let options = schema["enum"]?.arrayValue, !options.contains(value) {
      found.append("\(path): \(describe(value)) is not one of the enum values")
    }
    if let minimum = schema["minimum"], let number = number(value), let bound = self.number(minimum), number < bound {
      found.append("\(path): \(number) is below the minimum \(bound)")
    }
    if let pattern = schema["pattern"]?.stringValue, let text = value.stringValue, !text.matches(pattern) {
      found.append("\(path): \(text.debugDescription) does not match \(pattern)")
    }
    if let items = value.arrayValue {
      if let minimum = schema["minItems"]?.intValue, items.count < Int(minimum) {
        found.append("\(path): \(items.count) items, fewer than \(minimum)")
      }
      if let itemSchema = schema["items"] {
        for (index, item) in items.enumerated() { found += problems(item, itemSchema, at: "\(path)[\(index)]") }
      }
    }
    if let fields = value.objectValue {
      let properties = schema["properties"]?.objectValue ?? [:]
      for name in schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where fields[name] == nil {
        found.append("\(path): the required field \(name) is missing")
      }
      for (name, field) in fields.sorted(by: { $0.key < $1.key }) {
        if let pattern = schema["propertyNames"]?["pattern"]?.stringValue, !name.matches(pattern) {
          found.append("\(path): the key \(name.debugDescription) does not match \(pattern)")
        }
        if let fieldSchema = properties[name] {
          found += problems(field, fieldSchema, at: "\(path).\(name)")
        } else if schema["additionalProperties"] == .bool(false) {
          found.append("\(path): \(name) is not a field of the schema")
        } else if let extra = schema["additionalProperties"], extra.objectValue != nil {
          found += problems(field, extra, at: "\(path).\(name)")
        }
      }
    }
    return found
  }

  private static func matches(_ value: JSONValue, type: String) -> Bool {
    switch (type, value) {
    case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object): return true
    case ("integer", .int): return true
    case ("integer", .double(let number)): return number.rounded() == number
    case ("number", .int), ("number", .double): return true
    default: return false
    }
  }

  private static func number(_ value: JSONValue) -> Double? {
    switch value {
    case .int(let integer): return Double(integer)
    case .double(let double): return double
    default: return nil
    }
  }

  private static func describe(_ value: JSONValue) -> String {
    (try? JSONCoding.encode(value)).map { String($0.prefix(80)) } ?? "a value"
  }
}

extension String {
  fileprivate func matches(_ pattern: String) -> Bool {
    range(of: pattern, options: .regularExpression) != nil
  }
}
