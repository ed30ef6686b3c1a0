import Foundation
import PluginKit

/// Walks a metadata document and collects every problem (see `SourceMetadata`).
struct MetadataChecker {
  var problems: [MetadataProblem] = []

  mutating func check(_ metadata: JSONValue) {
    guard let top = metadata.objectValue else {
      add("", "metadata should be a mapping with schema_version, description, source and schema")
      return
    }
    // Limits first, without recursion, so a hostile document cannot exhaust the stack or memory.
    guard withinLimits(metadata) else { return }
    exactKeys(top, at: "", required: ["schema_version", "description", "source", "schema"])

    switch top["schema_version"] {
    case .int(let version)? where version == SourceMetadata.schemaVersion: break
    case .int(let version)? where version > SourceMetadata.schemaVersion:
      add(
        "schema_version", "version \(version) is newer than this goldfish understands (\(SourceMetadata.schemaVersion))"
      )
    case nil: break
    default: add("schema_version", "should be 1")
    }

    if let description = top["description"] {
      if let text = description.stringValue {
        let meaningful = text.trimmingCharacters(in: .whitespacesAndNewlines).count
        if meaningful < SourceMetadata.descriptionLength.lowerBound {
          add(
            "description",
            "is \(meaningful) characters; write at least \(SourceMetadata.descriptionLength.lowerBound) saying what the data is and where it came from"
          )
        } else if text.count > SourceMetadata.descriptionLength.upperBound {
          add("description", "is \(text.count) characters; the limit is \(SourceMetadata.descriptionLength.upperBound)")
        }
      } else {
        add("description", "should be a string")
      }
    }

    var format: String?
    if let source = top["source"] {
      format = checkSource(source)
    }
    if let schema = top["schema"] {
      guard let fields = schema.objectValue else {
        add("schema", "should be a mapping with kind: and the fields of that kind")
        return
      }
      if let format { checkSchema(fields, format: format) }
    }
  }

  // MARK: - Limits

  private mutating func withinLimits(_ root: JSONValue) -> Bool {
    var stack: [(JSONValue, Int)] = [(root, 1)]
    var nodes = 0
    while let (node, depth) = stack.popLast() {
      nodes += 1
      if nodes > SourceMetadata.maxNodes {
        add("", "has more than \(SourceMetadata.maxNodes) nested mappings and lists")
        return false
      }
      if depth > SourceMetadata.maxDepth {
        add("", "is nested more than \(SourceMetadata.maxDepth) levels deep")
        return false
      }
      let children: [JSONValue] =
        switch node {
        case .object(let fields): Array(fields.values)
        case .array(let items): items
        default: []
        }
      for child in children where child.objectValue != nil || child.arrayValue != nil {
        stack.append((child, depth + 1))
      }
    }
    guard let data = try? JSONEncoder().encode(root) else {
      add("", "cannot be written as JSON (infinite or NaN numbers?)")
      return false
    }
    if data.count > SourceMetadata.maxBytes {
      add("", "is \(data.count) bytes as JSON; the limit is \(SourceMetadata.maxBytes)")
      return false
    }
    return true
  }

  // MARK: - source

  /// Returns the format when it is one the schema can be checked against.
  private mutating func checkSource(_ value: JSONValue) -> String? {
    guard let source = value.objectValue else {
      add("source", "should be a mapping with format, size_bytes and created_at")
      return nil
    }
    let formatText = source["format"]?.stringValue
    exactKeys(
      source, at: "source",
      required: ["format", "size_bytes", "created_at"] + (formatText == "csv" ? ["format_params"] : []))
    var format: String?
    switch source["format"] {
    case nil: break
    case .string("directory")?:
      add(
        "source.format",
        "directory sources cannot carry metadata; archive the directory or register its files (allowed: npy, npz, csv, file)"
      )
    case .string(let text)? where SourceMetadata.formats.contains(text):
      format = text
    case .string(let text)?:
      add(
        "source.format",
        "unknown format \"\(text)\"\(suggest(text, SourceMetadata.formats)); allowed: \(SourceMetadata.formats.joined(separator: ", "))"
      )
    default:
      add("source.format", "should be one of \(SourceMetadata.formats.joined(separator: ", "))")
    }
    if let size = source["size_bytes"] {
      if case .int(let bytes) = size, bytes > 0 {
        if bytes > SourceMetadata.maxSizeBytes {
          add("source.size_bytes", "\(bytes) is more than 1 PB; is it in bytes?")
        }
      } else {
        add("source.size_bytes", "should be a whole number of bytes above 0")
      }
    }
    if let created = source["created_at"] {
      if created.stringValue.map(Self.isUTCTimestamp) != true {
        add("source.created_at", "should be an ISO-8601 UTC time ending in Z, such as 2025-01-31T12:00:00Z")
      }
    }
    if let params = source["format_params"] {
      if formatText == "csv" {
        checkFormatParams(params)
      }
    }
    return format
  }

  private mutating func checkFormatParams(_ value: JSONValue) {
    guard let params = value.objectValue else {
      add("source.format_params", "should be a mapping with delimiter:")
      return
    }
    exactKeys(params, at: "source.format_params", required: ["delimiter"])
    if let delimiter = params["delimiter"] {
      if delimiter.stringValue.map({ SourceMetadata.delimiters.contains($0) }) != true {
        add("source.format_params.delimiter", "should be one of \",\" \";\" \"|\" \"\\t\" \":\"")
      }
    }
  }

  /// "2025-01-31T12:00:00Z", optionally with fractional seconds; the Z is required so every stored
  /// time is unambiguous.
  static func isUTCTimestamp(_ text: String) -> Bool {
    guard text.hasSuffix("Z") else { return false }
    let plain = ISO8601DateFormatter()
    plain.formatOptions = [.withInternetDateTime]
    if plain.date(from: text) != nil { return true }
    let fractional = ISO8601DateFormatter()
    fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return fractional.date(from: text) != nil
  }

  // MARK: - schema

  private mutating func checkSchema(_ schema: [String: JSONValue], format: String) {
    let expected = ["npy": "tensor", "npz": "tensor", "csv": "tabular", "file": "file"][format] ?? ""
    guard let kind = schema["kind"] else {
      add("schema.kind", "is missing; a \(format) source has kind: \(expected)")
      return
    }
    guard kind.stringValue == expected else {
      add("schema.kind", "should be \(expected) for a \(format) source")
      return
    }
    switch expected {
    case "tensor": checkTensor(schema, singleArray: format == "npy")
    case "tabular": checkTabular(schema)
    default: checkFile(schema)
    }
  }

  private mutating func checkFile(_ schema: [String: JSONValue]) {
    exactKeys(schema, at: "schema", required: ["kind", "content_type"])
    if let type = schema["content_type"] {
      nonEmptyString(type, at: "schema.content_type", limit: 256, example: "such as application/json")
    }
  }

  private mutating func checkTabular(_ schema: [String: JSONValue]) {
    exactKeys(schema, at: "schema", required: ["kind", "row_count", "columns", "dtypes"])
    if let rows = schema["row_count"] {
      if case .int(let count) = rows, count >= 0 {
      } else {
        add("schema.row_count", "should be a whole number, 0 or more")
      }
    }
    var columns: [String] = []
    if let value = schema["columns"] {
      if let items = value.arrayValue, items.allSatisfy({ $0.stringValue != nil }) {
        columns = items.compactMap(\.stringValue)
        if columns.count > 100_000 { add("schema.columns", "has \(columns.count) columns; the limit is 100000") }
        if let long = columns.first(where: { $0.count > 256 }) {
          add("schema.columns", "column \(NameRule.quoted(long)) is longer than 256 characters")
        }
        var seen: Set<String> = []
        let duplicates = columns.filter { !seen.insert($0).inserted }
        if !duplicates.isEmpty {
          add("schema.columns", "columns must be unique; repeated: \(Set(duplicates).sorted().joined(separator: ", "))")
        }
      } else {
        add("schema.columns", "should be a list of column names")
      }
    }
    if let value = schema["dtypes"] {
      guard let dtypes = value.objectValue else {
        add("schema.dtypes", "should be a mapping of column: dtype")
        return
      }
      let missing = Set(columns).subtracting(dtypes.keys).sorted()
      let extra = Set(dtypes.keys).subtracting(columns).sorted()
      if !missing.isEmpty { add("schema.dtypes", "has no dtype for column(s) \(missing.joined(separator: ", "))") }
      if !extra.isEmpty { add("schema.dtypes", "names column(s) not in columns: \(extra.joined(separator: ", "))") }
      for (column, dtype) in dtypes.sorted(by: { $0.key < $1.key }) where (dtype.stringValue ?? "").isEmpty {
        add("schema.dtypes.\(column)", "should be a dtype name such as int64 or string")
      }
    }
  }

  private mutating func checkTensor(_ schema: [String: JSONValue], singleArray: Bool) {
    exactKeys(schema, at: "schema", required: ["kind", "arrays", "primary_array"])
    guard let value = schema["arrays"] else { return }
    guard let arrays = value.objectValue, !arrays.isEmpty else {
      add(
        "schema.arrays",
        "should be a mapping of array name: {role, shape, dtype, feature_names}, with at least one array")
      return
    }
    if singleArray && arrays.count != 1 {
      add("schema.arrays", "an npy file holds exactly one array, but \(arrays.count) are described")
    }
    if arrays.count > 1000 { add("schema.arrays", "describes \(arrays.count) arrays; the limit is 1000") }
    if let primary = schema["primary_array"] {
      if primary.stringValue.map({ arrays[$0] != nil }) != true {
        add("schema.primary_array", "should name one of the arrays: \(arrays.keys.sorted().joined(separator: ", "))")
      }
    }
    for (name, array) in arrays.sorted(by: { $0.key < $1.key }) {
      let path = "schema.arrays.\(name)"
      if name.isEmpty || name.count > 256 { add(path, "array names are 1 to 256 characters") }
      guard let fields = array.objectValue else {
        add(path, "should be a mapping with role, shape, dtype and feature_names")
        continue
      }
      exactKeys(fields, at: path, required: ["role", "shape", "dtype", "feature_names"])
      if let role = fields["role"], role.stringValue.map(SourceMetadata.roles.contains) != true {
        add("\(path).role", "should be one of \(SourceMetadata.roles.joined(separator: ", "))")
      }
      var shape: [Int64]?
      if let value = fields["shape"] {
        if let dims = value.arrayValue, dims.count <= 32,
          case let ints = dims.compactMap({ if case .int(let dim) = $0, dim >= 0 { dim } else { nil } }),
          ints.count == dims.count
        {
          shape = ints
        } else {
          add("\(path).shape", "should be a list of at most 32 whole numbers, 0 or more, such as [60000, 784]")
        }
      }
      if let dtype = fields["dtype"] {
        nonEmptyString(dtype, at: "\(path).dtype", limit: 256, example: "such as float32")
      }
      if let names = fields["feature_names"] {
        checkFeatureNames(names, at: "\(path).feature_names", shape: shape)
      }
    }
  }

  /// How the last axis of an array is named: an explicit list, a numbered pattern, "sequence" for
  /// unnamed positions (time steps, samples) or "none" for scalars.
  private mutating func checkFeatureNames(_ value: JSONValue, at path: String, shape: [Int64]?) {
    let kinds = ["list", "pattern", "sequence", "none"]
    guard let fields = value.objectValue else {
      add(path, "should be a mapping with kind: (\(kinds.joined(separator: ", ")))")
      return
    }
    guard let kind = fields["kind"]?.stringValue, kinds.contains(kind) else {
      add("\(path).kind", "should be one of \(kinds.joined(separator: ", "))")
      return
    }
    func count(_ declared: Int, _ what: String) {
      guard let shape else { return }
      let expected = shape.last ?? 0
      if Int64(declared) != expected {
        add(
          path,
          shape.isEmpty
            ? "a scalar array has no feature names, but \(declared) are given"
            : "\(what) \(declared) names, but the last dimension of the shape is \(expected)")
      }
    }
    switch kind {
    case "list":
      exactKeys(fields, at: path, required: ["kind", "values"])
      guard let value = fields["values"] else { return }
      guard let values = value.arrayValue, values.allSatisfy({ $0.stringValue != nil }) else {
        add("\(path).values", "should be a list of names")
        return
      }
      if values.contains(where: { ($0.stringValue ?? "").count > 1024 }) {
        add("\(path).values", "names are at most 1024 characters")
      }
      count(values.count, "the list has")
    case "pattern":
      exactKeys(fields, at: path, required: ["kind", "template", "start", "count", "sample"])
      if let template = fields["template"] {
        if let text = template.stringValue, text.contains("{i}"), text.count <= 256 {
        } else {
          add("\(path).template", "should be a name containing {i}, such as pixel_{i} (at most 256 characters)")
        }
      }
      if let start = fields["start"], case .int = start {
      } else if fields["start"] != nil {
        add("\(path).start", "should be a whole number")
      }
      if let value = fields["count"] {
        if case .int(let declared) = value, declared >= 0 {
          count(Int(declared), "the pattern makes")
        } else {
          add("\(path).count", "should be a whole number, 0 or more")
        }
      }
      if let sample = fields["sample"] {
        if let items = sample.arrayValue, items.count <= 100,
          items.allSatisfy({ ($0.stringValue?.count ?? 1025) <= 1024 })
        {
        } else {
          add("\(path).sample", "should be a list of at most 100 example names")
        }
      }
    case "sequence":
      exactKeys(fields, at: path, required: ["kind", "reason"], optional: ["interval", "unit", "start_value"])
      if let reason = fields["reason"] {
        nonEmptyString(reason, at: "\(path).reason", limit: 4000, example: "saying why the positions are unnamed")
      }
      if let interval = fields["interval"], !interval.isNull {
        switch interval {
        case .int(let step) where step > 0: break
        case .double(let step) where step > 0: break
        default: add("\(path).interval", "should be a number above 0")
        }
      }
      if let unit = fields["unit"], !unit.isNull {
        nonEmptyString(unit, at: "\(path).unit", limit: 256, example: "such as seconds")
      }
      if let shape, shape.isEmpty {
        add("\(path).kind", "sequence is for arrays with at least one dimension; a scalar uses none")
      }
    default:  // none
      exactKeys(fields, at: path, required: ["kind", "reason"])
      if let reason = fields["reason"] {
        nonEmptyString(reason, at: "\(path).reason", limit: 4000, example: "saying why there are no names")
      }
      if let shape, !shape.isEmpty {
        add("\(path).kind", "none is for scalar arrays (shape []); use sequence for unnamed positions")
      }
    }
  }

  // MARK: - Helpers

  private mutating func exactKeys(
    _ fields: [String: JSONValue], at path: String, required: [String], optional: [String] = []
  ) {
    let prefix = path.isEmpty ? "" : "\(path)."
    for key in required where fields[key] == nil {
      add("\(prefix)\(key)", "is missing")
    }
    let allowed = required + optional
    for key in fields.keys.sorted() where !allowed.contains(key) {
      add("\(prefix)\(key)", "unknown key\(suggest(key, allowed)); allowed here: \(allowed.joined(separator: ", "))")
    }
  }

  private mutating func nonEmptyString(_ value: JSONValue, at path: String, limit: Int, example: String) {
    guard let text = value.stringValue, !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
      add(path, "should be a non-empty string, \(example)")
      return
    }
    if text.count > limit { add(path, "is longer than \(limit) characters") }
  }

  private func suggest(_ word: String, _ candidates: [String]) -> String {
    Suggest.closest(to: word, in: candidates).map { " (did you mean \"\($0)\"?)" } ?? ""
  }

  private mutating func add(_ path: String, _ message: String) {
    problems.append(MetadataProblem(path, message))
  }
}
