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
  /// What is wrong with the declared capabilities (unknown keys, wrong types), when `plugins list`
  /// or `plugins inspect` looked; absent when nothing is.
  public var capabilityFindings: [String]? = nil

  enum CodingKeys: String, CodingKey {
    case kind, name, implemented, capabilities, unsupported, isolation
    case capabilityFindings = "capability_findings"
  }

  /// Unknown or wrongly typed capability keys, each naming the key and what is allowed.
  public var checkCapabilities: [String] {
    guard let kind = ServiceKind(label: kind) else { return [] }
    return CapabilityKeys.findings(capabilities, kind: kind)
  }
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
