import PluginKit

/// A service as `goldfish plugins list` shows it.
public struct ServiceInfo: Codable, Sendable, Equatable {
  public var kind: String
  public var name: String
  public var implemented: Bool
  public var capabilities: JSONValue
  /// Table functions the plugin left NULL ("not supported").
  public var unsupported: [String]
  /// Where its calls run under the project's `plugins.isolation` (absent without a project).
  public var isolation: IsolationMode? = nil
}

/// A plugin file that loaded.
public struct PluginInfo: Codable, Sendable, Equatable {
  public var path: String
  public var origin: String
  public var name: String
  public var version: String
  public var description: String
  public var abiVersion: String
  public var services: [ServiceInfo]

  enum CodingKeys: String, CodingKey {
    case path, origin, name, version, description
    case abiVersion = "abi_version"
    case services
  }
}

/// Why a plugin file or one of its services is not acceptable.
struct Problem: Error, ExpressibleByStringInterpolation {
  var reason: String
  init(_ reason: String) { self.reason = reason }
  init(stringLiteral value: String) { reason = value }
}

/// A plugin file that was refused, with a one-line reason that names the fix.
public struct PluginRefusal: Error, Codable, Sendable, Equatable, CustomStringConvertible {
  public var path: String
  public var origin: String
  public var reason: String

  public var description: String { "\(path): \(reason)" }
}
