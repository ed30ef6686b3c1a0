import MCP

/// JSON Schema (draft 2020-12) for tool inputs and outputs.
enum JSONSchema {
  static let string: Value = ["type": "string"]
  static let integer: Value = ["type": "integer"]
  static let number: Value = ["type": "number"]
  static let boolean: Value = ["type": "boolean"]
  static let anyObject: Value = ["type": "object"]
  static let anyValue: Value = [:]
  static let strings: Value = ["type": "array", "items": ["type": "string"]]

  static func nullable(_ schema: Value) -> Value {
    guard case .object(var fields) = schema, case .string(let type)? = fields["type"] else { return schema }
    fields["type"] = [.string(type), "null"]
    return .object(fields)
  }

  static func array(_ items: Value) -> Value { ["type": "array", "items": items] }

  static func object(_ properties: [String: Value]) -> Value {
    ["type": "object", "properties": .object(properties)]
  }

  static func input(_ parameters: [ToolParameter]) -> Value {
    var properties: [String: Value] = [:]
    for parameter in parameters {
      var schema: [String: Value]
      switch parameter.kind {
      case .string: schema = ["type": "string"]
      case .integer: schema = ["type": "integer"]
      case .number: schema = ["type": "number"]
      case .boolean: schema = ["type": "boolean"]
      case .stringArray: schema = ["type": "array", "items": ["type": "string"]]
      case .object: schema = ["type": "object"]
      case .stringOrObject: schema = ["type": ["string", "object"]]
      case .stringOrBoolean: schema = ["type": ["string", "boolean"]]
      }
      schema["description"] = .string(parameter.description)
      if let choices = parameter.choices { schema["enum"] = .array(choices.map { .string($0) }) }
      if let minimum = parameter.minimum { schema["minimum"] = .int(minimum) }
      if let maximum = parameter.maximum { schema["maximum"] = .int(maximum) }
      properties[parameter.name] = .object(schema)
    }
    let required = parameters.filter(\.required).map { Value.string($0.name) }
    return [
      "type": "object", "properties": .object(properties), "required": .array(required),
      "additionalProperties": false,
    ]
  }

  /// Output schemas name every field but require none: a failure's `{code, message, hint}`
  /// must also be valid against them, for clients that validate error results too.
  static func output(_ fields: [String: Value]) -> Value {
    ["type": "object", "properties": .object(fields)]
  }
}
