import Foundation
import Host
import MCP
import PluginKit

/// Conversions between Host values (Encodable records, PluginKit's JSONValue) and MCP's Value.
enum MCPValue {
  static func encode(_ value: some Encodable) throws(GoldfishError) -> Value {
    do {
      let data = try JSONEncoder().encode(value)
      return try ValueParser.parse(data) ?? JSONDecoder().decode(Value.self, from: data)
    } catch {
      throw GoldfishError(.internalError, "a result could not be encoded as JSON")
    }
  }

  static func json(_ value: Value) -> JSONValue {
    switch value {
    case .null: return .null
    case .bool(let flag): return .bool(flag)
    case .int(let number): return .int(Int64(number))
    case .double(let number): return .double(number)
    case .string(let text): return .string(text)
    case .data(_, let data): return .string(data.base64EncodedString())
    case .array(let items): return .array(items.map(json))
    case .object(let fields): return .object(fields.mapValues(json))
    }
  }

  /// A text truncated to `limit` characters, saying so, to keep results small for a context window.
  static func truncated(_ text: String, limit: Int) -> String { ViewText.truncated(text, limit: limit) }
}

extension GoldfishError.Code {
  public static let internalError = Self("internal_error")
  public static let unknownTool = Self("unknown_tool")
  public static let notSupported = Self("not_supported")
}
