import PluginKit

/// Checks a stage config against the stage's `config_schema:`.
///
/// The schema maps dotted keys ("optimizer.lr") to a type name, or to `{type:, required:}`. Types:
/// int, float, number, bool, str, list, dict. Booleans never count as numbers (YAML reads `yes` as
/// true, which must not pass for `epochs: int`); a whole number passes for float, since `lr: 1` is
/// how people write 1.0. A key written as a bare type is optional; `required: true` makes it
/// mandatory.
enum ConfigSchemaCheck {
  static let types = ["int", "float", "number", "bool", "str", "list", "dict"]
  static let entryKeys = ["type", "required"]

  /// Problems in the schema itself (reported against the pipeline file) and in the config.
  static func check(
    schema: JSONValue, config: JSONValue
  ) -> (
    schemaProblems: [(key: String, message: String)], configProblems: [(key: String, message: String)]
  ) {
    var schemaProblems: [(String, String)] = []
    var configProblems: [(String, String)] = []
    for (key, entry) in (schema.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
      var typeName: String?
      var required = false
      switch entry {
      case .string(let name):
        typeName = name
      case .object(let fields):
        for extra in fields.keys.sorted() where !entryKeys.contains(extra) {
          schemaProblems.append((key, "unknown key \"\(extra)\" in config_schema.\(key); allowed keys: type, required"))
        }
        typeName = fields["type"]?.stringValue
        if typeName == nil {
          schemaProblems.append((key, "config_schema.\(key) needs type: (one of \(types.joined(separator: ", ")))"))
        }
        if let flag = fields["required"], !flag.isNull {
          if let value = flag.boolValue {
            required = value
          } else {
            schemaProblems.append((key, "config_schema.\(key).required should be true or false"))
          }
        }
      default:
        schemaProblems.append((key, "config_schema.\(key) should be a type name or {type:, required:}"))
      }
      guard let typeName else { continue }
      guard types.contains(typeName) else {
        let suggestion = Suggest.closest(to: typeName, in: types).map { " (did you mean \"\($0)\"?)" } ?? ""
        schemaProblems.append(
          (
            key,
            "config_schema.\(key): unknown type \"\(typeName)\"\(suggestion); allowed: \(types.joined(separator: ", "))"
          ))
        continue
      }
      guard let value = lookup(key, in: config), !value.isNull else {
        if required { configProblems.append((key, "\(key) is required by config_schema (\(typeName)) but not set")) }
        continue
      }
      if !matches(value, typeName) {
        configProblems.append((key, "\(key) should be \(typeName) per config_schema, but is \(describe(value))"))
      }
    }
    return (schemaProblems, configProblems)
  }

  static func lookup(_ dotted: String, in config: JSONValue) -> JSONValue? {
    var current: JSONValue? = config
    for part in dotted.split(separator: ".") { current = current?[String(part)] }
    return current
  }

  static func matches(_ value: JSONValue, _ type: String) -> Bool {
    switch (type, value) {
    case ("int", .int), ("float", .double), ("float", .int), ("number", .int), ("number", .double), ("bool", .bool),
      ("str", .string), ("list", .array), ("dict", .object):
      return true
    default:
      return false
    }
  }

  static func describe(_ value: JSONValue) -> String {
    switch value {
    case .null: return "null"
    case .bool(let flag): return "the boolean \(flag)"
    case .int(let number): return "the integer \(number)"
    case .double(let number): return "the number \(number)"
    case .string(let text): return "the string \(NameRule.quoted(text))"
    case .array: return "a list"
    case .object: return "a mapping"
    }
  }
}
