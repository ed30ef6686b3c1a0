/// The capability keys of each service kind and the JSON each takes: the schema a declaration is
/// checked against (`goldfish plugins check`, `plugins inspect`), so a misspelled key is reported
/// instead of silently reading as its default.
public enum CapabilityKeys {
  /// What one key's value must be.
  public enum ValueType: Sendable, Equatable {
    case bool
    /// A string; one of `allowed` when it is not empty.
    case string(allowed: [String])
    /// An array of strings, each one of `allowed` when it is not empty.
    case strings(allowed: [String])
    /// A whole number or null.
    case integerOrNull

    /// In words, for a finding.
    public var description: String {
      switch self {
      case .bool: return "true or false"
      case .string(let allowed): return allowed.isEmpty ? "a string" : "one of " + allowed.joined(separator: ", ")
      case .strings(let allowed):
        return allowed.isEmpty ? "an array of strings" : "an array of " + allowed.joined(separator: ", ")
      case .integerOrNull: return "a whole number or null"
      }
    }

    func accepts(_ value: JSONValue) -> Bool {
      switch (self, value) {
      case (.bool, .bool): return true
      case (.string(let allowed), .string(let text)): return allowed.isEmpty || allowed.contains(text)
      case (.strings(let allowed), .array(let items)):
        return items.allSatisfy { item in
          guard let text = item.stringValue else { return false }
          return allowed.isEmpty || allowed.contains(text)
        }
      case (.integerOrNull, .null): return true
      case (.integerOrNull, let number): return number.intValue != nil
      default: return false
      }
    }
  }

  static let common: [String: ValueType] = [
    "concurrency": .string(allowed: ["parallel", "serial"]), "implemented": .bool, "note": .string(allowed: []),
  ]

  /// Every key a service of `kind` may declare, with its type.
  public static func schema(_ kind: ServiceKind) -> [String: ValueType] {
    switch kind {
    case .runBackend:
      return common.merging(
        [
          "isolation": .string(allowed: []), "gpu": .bool, "spot": .bool, "network_policy": .bool,
          "resource_limits": .strings(allowed: ResourceLimit.allCases.map(\.rawValue)),
          "logs": .string(allowed: ["offset", "tail", "none"]), "recover": .bool, "warm_reuse": .bool,
          "warm_match": .strings(allowed: []), "needs_image": .bool, "sandbox": .string(allowed: []),
        ]
      ) { own, _ in own }
    case .objectStorage:
      return common.merging(
        [
          "schemes": .strings(allowed: []), "local": .bool, "hash": .string(allowed: ["md5", "crc32c", "sha256"]),
          "resumable": .bool, "max_object_bytes": .integerOrNull,
        ]
      ) { own, _ in own }
    case .imageBuilder:
      return common.merging(["registry": .bool, "cache": .string(allowed: [])]) { own, _ in own }
    }
  }

  /// What is wrong with a declaration, one sentence per key that names the key and what is allowed;
  /// empty when every key is known and of the right type.
  public static func findings(_ capabilities: JSONValue, kind: ServiceKind) -> [String] {
    let schema = schema(kind)
    guard let fields = capabilities.objectValue else { return ["the capabilities are not a JSON object"] }
    var findings: [String] = []
    for key in fields.keys.sorted() {
      guard let type = schema[key] else {
        findings.append(
          "unknown capability key \"\(key)\" for a \(kind.label); allowed keys: "
            + schema.keys.sorted().joined(separator: ", "))
        continue
      }
      if let value = fields[key], !type.accepts(value) {
        findings.append("capability \"\(key)\" is \(describe(value)); it must be \(type.description)")
      }
    }
    return findings
  }

  static func describe(_ value: JSONValue) -> String {
    let text = (try? JSONCoding.encode(value)) ?? "?"
    return text.count <= 60 ? text : String(text.prefix(60)) + "…"
  }

  /// How the host may call a service of any kind (`concurrency`; parallel when absent or invalid).
  public static func concurrency(of capabilities: JSONValue) -> CallConcurrency {
    capabilities["concurrency"]?.stringValue.flatMap(CallConcurrency.init(rawValue:)) ?? .parallel
  }

  /// A typed declaration as JSON; nil fields are left out.
  static func json<T: Encodable>(_ capabilities: T) -> JSONValue {
    (try? JSONCoding.value(of: capabilities)) ?? [:]
  }
}

/// A typed capability declaration of one service kind.
public protocol DeclaredCapabilities: Codable, Sendable, Equatable {
  static var kind: ServiceKind { get }
  /// Every key at its default (what an empty declaration means).
  init()
}

extension DeclaredCapabilities {
  /// Reads a plugin's declaration; keys that `CapabilityKeys.findings` reports (unknown, or of the
  /// wrong type) read as absent, so one bad key never hides the others.
  public init(declared capabilities: JSONValue) {
    let schema = CapabilityKeys.schema(Self.kind)
    let usable = (capabilities.objectValue ?? [:]).filter { key, value in schema[key]?.accepts(value) == true }
    self = (try? JSONCoding.convert(.object(usable), to: Self.self)) ?? Self()
  }
}

extension RunBackendCapabilities: DeclaredCapabilities {
  public static var kind: ServiceKind { .runBackend }
  public init() { self.init(concurrency: .parallel) }
}

extension ObjectStorageCapabilities: DeclaredCapabilities {
  public static var kind: ServiceKind { .objectStorage }
  public init() { self.init(concurrency: .parallel) }
}

extension ImageBuilderCapabilities: DeclaredCapabilities {
  public static var kind: ServiceKind { .imageBuilder }
  public init() { self.init(concurrency: .parallel) }
}
