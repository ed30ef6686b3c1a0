import Foundation
import PluginKit

/// One output's declared `schema:`, read for checking (see docs/svs.md). Every key is optional:
/// - `kind`: tensor | tabular | json | file | directory;
/// - tensor: `shape` (ints, `null`/`-1` for any size, `"{param}"` from the stage config), `rank`,
///   `dtype` (`float32`… or a family: `float`, `int`, `uint`, `number`, `bool`, `str`),
///   `arrays: {name: {shape, dtype}}` for npz;
/// - tabular: `columns` (the exact list, in order), `dtypes: {column: dtype}`;
/// - any kind: `min_bytes`, `max_bytes`, `range: {min, max}` (values), `max_null_ratio`,
///   `enforcement: blocking | warning | silent` (overrides `svs.default_enforcement` for this output).
public struct OutputContract: Sendable, Equatable {
  public var kind: String?
  /// nil entries are wildcards.
  public var shape: [Int?]?
  public var rank: Int?
  public var dtype: String?
  public var columns: [String]?
  public var dtypes: [String: String]
  public var minBytes: Int64?
  public var maxBytes: Int64?
  public var range: (min: Double?, max: Double?)?
  public var maxNullRatio: Double?
  public var enforcement: SVSConfig.Enforcement?
  /// What could not be read in the schema itself (a `{param}` the config lacks, a bad value).
  public var problems: [String]

  public static func == (lhs: Self, rhs: Self) -> Bool {
    lhs.kind == rhs.kind && lhs.shape == rhs.shape && lhs.rank == rhs.rank && lhs.dtype == rhs.dtype
      && lhs.columns == rhs.columns && lhs.dtypes == rhs.dtypes && lhs.minBytes == rhs.minBytes
      && lhs.maxBytes == rhs.maxBytes && lhs.range?.min == rhs.range?.min && lhs.range?.max == rhs.range?.max
      && lhs.maxNullRatio == rhs.maxNullRatio && lhs.enforcement == rhs.enforcement && lhs.problems == rhs.problems
  }

  public static let keys = [
    "kind", "shape", "rank", "dtype", "arrays", "primary_array", "columns", "dtypes", "min_bytes", "max_bytes", "range",
    "max_null_ratio", "enforcement", "description", "vocab_size",
  ]

  /// Reads `schema` with every `"{param}"` string replaced by that (dotted) key of `config`.
  public init(schema: JSONValue, config: JSONValue?) {
    problems = []
    dtypes = [:]
    let fields = schema.objectValue ?? [:]
    for key in fields.keys.sorted() where !Self.keys.contains(key) {
      problems.append("schema key \(key) is not one goldfish checks (known: \(Self.keys.joined(separator: ", ")))")
    }
    func value(_ key: String) -> JSONValue? {
      fields[key].map { substitute($0, key: key) }
    }
    func substitute(_ value: JSONValue, key: String) -> JSONValue {
      switch value {
      case .string(let text) where text.hasPrefix("{") && text.hasSuffix("}") && text.count > 2:
        let name = String(text.dropFirst().dropLast())
        if let found = Self.lookup(name, in: config) { return found }
        problems.append("schema names {\(name)} but the stage config has no \(name)")
        return .null
      case .array(let items): return .array(items.map { substitute($0, key: key) })
      case .object(let items): return .object(items.mapValues { substitute($0, key: key) })
      default: return value
      }
    }
    kind = value("kind")?.stringValue
    dtype = value("dtype")?.stringValue
    rank = value("rank")?.intValue.map(Int.init)
    if let items = value("shape")?.arrayValue {
      shape = items.map { item -> Int? in
        guard let dimension = item.intValue, dimension >= 0 else { return nil }
        return Int(dimension)
      }
      for item in items where !item.isNull && item.intValue == nil {
        problems.append("schema shape has \(item), which is neither a size, null nor -1")
      }
    }
    columns = value("columns")?.arrayValue?.compactMap(\.stringValue)
    for (column, type) in value("dtypes")?.objectValue ?? [:] {
      if let type = type.stringValue { dtypes[column] = type }
    }
    minBytes = value("min_bytes")?.intValue
    maxBytes = value("max_bytes")?.intValue
    if let bounds = value("range") {
      if let pair = bounds.arrayValue, pair.count == 2 {
        range = (Self.number(pair[0]), Self.number(pair[1]))
      } else if bounds.objectValue != nil {
        range = (bounds["min"].flatMap(Self.number), bounds["max"].flatMap(Self.number))
      } else {
        problems.append("schema range should be {min: …, max: …} or [min, max]")
      }
    }
    maxNullRatio = value("max_null_ratio").flatMap(Self.number)
    if let text = value("enforcement")?.stringValue {
      enforcement = SVSConfig.Enforcement(rawValue: text)
      if enforcement == nil {
        let choices = SVSConfig.Enforcement.allCases.map(\.rawValue).joined(separator: ", ")
        problems.append("schema enforcement is \(text); it takes \(choices)")
      }
    }
    if let shape, let rank, shape.count != rank {
      problems.append("schema shape has \(shape.count) dimensions but rank says \(rank)")
    }
  }

  static func number(_ value: JSONValue) -> Double? {
    switch value {
    case .int(let number): return Double(number)
    case .double(let number): return number
    default: return nil
    }
  }

  /// `a.b.c` in the stage config.
  static func lookup(_ dotted: String, in config: JSONValue?) -> JSONValue? {
    var current = config
    for part in dotted.split(separator: ".") { current = current?[String(part)] }
    return current.flatMap { $0.isNull ? nil : $0 }
  }

  /// Whether an actual dtype name satisfies the declared one: exact, or a family (`float`, `int`,
  /// `uint`, `number`, `bool`, `str`).
  public static func dtype(_ actual: String, satisfies declared: String) -> Bool {
    let declared = declared.lowercased()
    let aliases = ["float": "float", "double": "float64", "half": "float16", "long": "int64", "boolean": "bool"]
    let wanted = aliases[declared] ?? declared
    if actual == wanted { return true }
    switch wanted {
    case "float", "floating": return actual.hasPrefix("float")
    case "int", "integer": return actual.hasPrefix("int") || actual.hasPrefix("uint")
    case "uint", "unsigned": return actual.hasPrefix("uint")
    case "number", "numeric": return actual.hasPrefix("float") || actual.hasPrefix("int") || actual.hasPrefix("uint")
    case "str", "string", "object": return actual == "str" || actual == "object"
    default: return false
    }
  }

  /// Whether `actual` matches the declared shape (wildcards match any size).
  public func shapeMatches(_ actual: [Int]) -> Bool {
    guard let shape else { return rank.map { $0 == actual.count } ?? true }
    guard shape.count == actual.count else { return false }
    return zip(shape, actual).allSatisfy { declared, size in declared.map { $0 == size } ?? true }
  }

  /// The shape as people write it: `[3, *]`.
  public var shapeText: String {
    "[" + (shape ?? []).map { $0.map(String.init) ?? "*" }.joined(separator: ", ") + "]"
  }
}
