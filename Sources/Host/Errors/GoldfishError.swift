import PluginKit

/// Every failure a user of Goldfish can see: a stable code, a message a person can act on,
/// a hint on how to fix it, and details for machines.
public struct GoldfishError: Error, Sendable, Equatable, CustomStringConvertible {
  /// A stable error code. Each concept declares its own codes in an extension of `Code`
  /// next to the code that throws them (see Codes.swift for the shared ones).
  public struct Code: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }
  }

  public var code: Code
  public var message: String
  public var hint: String?
  public var detail: [String: JSONValue]

  public init(_ code: Code, _ message: String, hint: String? = nil, detail: [String: JSONValue] = [:]) {
    self.code = code
    self.message = message
    self.hint = hint
    self.detail = detail
  }

  public var description: String {
    hint.map { "\(message)\n  hint: \($0)" } ?? message
  }
}
