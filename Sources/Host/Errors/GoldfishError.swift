import PluginKit

/// Every failure a user of Goldfish can see: a stable code, a message a person can act on,
/// a hint on how to fix it, and details for machines.
public struct GoldfishError: Error, Sendable, Equatable, CustomStringConvertible {
  public enum Code: String, Sendable, Codable {
    case configInvalid = "config_invalid"
    case configNotFound = "config_not_found"
    case pluginRefused = "plugin_refused"
    case serviceNotFound = "service_not_found"
    case serviceUnsupported = "service_unsupported"
    case pluginCallFailed = "plugin_call_failed"
    case invalidArgument = "invalid_argument"
    case ioFailed = "io_failed"
    case conformanceFailed = "conformance_failed"
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
