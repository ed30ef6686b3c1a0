import Foundation
import Host
import MCP

/// One MCP tool: what an agent sees in `tools/list` and the code that answers `tools/call`.
/// Parameters are declared once and give both the input schema and the argument checks, so the
/// schema an agent reads is exactly what the server enforces.
struct MCPTool: Sendable {
  typealias Handler = @Sendable (ToolCall) async throws -> ToolOutput

  var name: String
  var description: String
  var parameters: [ToolParameter]
  /// The fields of `structuredContent` on success.
  var output: [String: Value]
  var annotations: Tool.Annotations = nil
  var handler: Handler

  var inputSchema: Value { JSONSchema.input(parameters) }
  var outputSchema: Value { JSONSchema.output(output) }

  var definition: Tool {
    Tool(
      name: name, description: description, inputSchema: inputSchema, annotations: annotations,
      outputSchema: outputSchema)
  }
}

/// What a tool returns: the structured result and a short line for clients that only read text.
struct ToolOutput: Sendable {
  var structured: Value
  var text: String

  init(_ structured: Value, text: String) {
    self.structured = structured
    self.text = text
  }

  /// Any Encodable result (Host records, JSONValue) as structured content.
  init(encoding value: some Encodable, text: String) throws(GoldfishError) {
    self.init(try MCPValue.encode(value), text: text)
  }
}

/// A tool's parameters: its JSON Schema type, whether it must be given, and what it means.
struct ToolParameter: Sendable {
  enum Kind: Sendable {
    case string, integer, number, boolean, stringArray, object
    /// A string, or an object (upstream's structured run reason).
    case stringOrObject
    /// true/false, or a string (upstream's list_history `tagged`: any tag, or this tag).
    case stringOrBoolean
  }

  var name: String
  var kind: Kind
  var description: String
  var required = false
  /// Allowed values of a string parameter.
  var choices: [String]? = nil
  /// The values an integer parameter allows; every integer parameter has one, so no handler
  /// does arithmetic on a number nobody bounded.
  var range: ClosedRange<Int>? = nil

  var minimum: Int? { range?.lowerBound }
  var maximum: Int? { range?.upperBound }

  static func string(_ name: String, _ description: String, required: Bool = false, choices: [String]? = nil) -> Self {
    Self(name: name, kind: .string, description: description, required: required, choices: choices)
  }
  /// The largest `offset` into a listing (versions, runs, sources): far past any real project.
  static let offsetLimit = 1_000_000
  /// The largest byte offset into a log (1 TiB): an offset plus a read length cannot overflow.
  static let byteOffsetLimit = 1 << 40

  static func integer(_ name: String, _ description: String, minimum: Int, maximum: Int) -> Self {
    Self(name: name, kind: .integer, description: description, range: minimum...maximum)
  }
  static func number(_ name: String, _ description: String) -> Self {
    Self(name: name, kind: .number, description: description)
  }
  static func boolean(_ name: String, _ description: String) -> Self {
    Self(name: name, kind: .boolean, description: description)
  }
  static func strings(_ name: String, _ description: String) -> Self {
    Self(name: name, kind: .stringArray, description: description)
  }
  static func object(_ name: String, _ description: String, required: Bool = false) -> Self {
    Self(name: name, kind: .object, description: description, required: required)
  }
}
