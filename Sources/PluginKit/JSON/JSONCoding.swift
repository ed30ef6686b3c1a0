import Foundation

/// The one JSON codec used on both sides of the ABI. Payload types spell their snake_case keys
/// in CodingKeys: a key strategy would also rewrite dictionary keys such as env names.
public enum JSONCoding {
  public static func encoder() -> JSONEncoder {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return encoder
  }

  public static func decoder() -> JSONDecoder {
    JSONDecoder()
  }

  public static func encode<T: Encodable>(_ value: T) throws(PluginError) -> String {
    do {
      let data = try encoder().encode(value)
      return String(decoding: data, as: UTF8.self)
    } catch {
      throw PluginError(.internal, "could not encode \(T.self) as JSON: \(error)")
    }
  }

  public static func decode<T: Decodable>(_ type: T.Type, from json: String) throws(PluginError) -> T {
    do {
      return try decoder().decode(T.self, from: Data(json.utf8))
    } catch let DecodingError.keyNotFound(key, context) {
      throw PluginError(
        .invalidArgument, "\(T.self) is missing the field \"\(key.stringValue)\"",
        detail: ["path": .string(path(context.codingPath + [key]))])
    } catch let DecodingError.typeMismatch(expected, context) {
      throw PluginError(
        .invalidArgument,
        "\(T.self): field \"\(path(context.codingPath))\" should be \(expected)",
        detail: ["path": .string(path(context.codingPath))])
    } catch let DecodingError.valueNotFound(expected, context) {
      throw PluginError(
        .invalidArgument,
        "\(T.self): field \"\(path(context.codingPath))\" is null but should be \(expected)",
        detail: ["path": .string(path(context.codingPath))])
    } catch {
      throw PluginError(.invalidArgument, "\(T.self) is not valid JSON: \(error.localizedDescription)")
    }
  }

  /// Parses any JSON text into a `JSONValue`.
  public static func parse(_ json: String) throws(PluginError) -> JSONValue {
    try decode(JSONValue.self, from: json)
  }

  public static func convert<T: Decodable>(_ value: JSONValue, to type: T.Type) throws(PluginError) -> T {
    try decode(T.self, from: try encode(value))
  }

  public static func value<T: Encodable>(of item: T) throws(PluginError) -> JSONValue {
    try parse(try encode(item))
  }

  private static func path(_ keys: [CodingKey]) -> String {
    keys.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
  }
}
