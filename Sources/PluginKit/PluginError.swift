/// The stable error codes of the ABI (`GF_ERROR_CODES` in goldfish_plugin.h).
public enum ErrorCode: String, Sendable, Codable, CaseIterable {
  case invalidArgument = "invalid_argument"
  case notFound = "not_found"
  case alreadyExists = "already_exists"
  case permissionDenied = "permission_denied"
  case unauthenticated
  case unavailable
  case capacity
  case quota
  case preempted
  case timeout
  case conflict
  case io
  case unsupported
  case notImplemented = "not_implemented"
  case `internal`

  /// Whether the same call may succeed later unchanged, when a plugin does not say.
  public var retryableByDefault: Bool {
    switch self {
    case .unavailable, .capacity, .quota, .preempted, .timeout: return true
    default: return false
    }
  }
}

/// A structured error as it crosses the ABI: `{code, retryable, message, detail}`.
public struct PluginError: Error, Sendable, Equatable, Codable, CustomStringConvertible {
  public var code: ErrorCode
  public var retryable: Bool
  public var message: String
  public var detail: [String: JSONValue]

  public init(
    _ code: ErrorCode, _ message: String, retryable: Bool? = nil, detail: [String: JSONValue] = [:]
  ) {
    self.code = code
    self.message = message
    self.retryable = retryable ?? code.retryableByDefault
    self.detail = detail
  }

  public var description: String { "\(code.rawValue): \(message)" }

  private enum CodingKeys: String, CodingKey { case code, retryable, message, detail }

  /// Lenient on purpose: an unknown code from a newer plugin reads as `internal`, not a crash.
  public init(from decoder: Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    let rawCode = (try? container.decode(String.self, forKey: .code)) ?? "internal"
    code = ErrorCode(rawValue: rawCode) ?? .internal
    message = (try? container.decode(String.self, forKey: .message)) ?? "(no message)"
    retryable = (try? container.decode(Bool.self, forKey: .retryable)) ?? code.retryableByDefault
    detail = (try? container.decode([String: JSONValue].self, forKey: .detail)) ?? [:]
    if ErrorCode(rawValue: rawCode) == nil { detail["plugin_code"] = .string(rawCode) }
  }
}
