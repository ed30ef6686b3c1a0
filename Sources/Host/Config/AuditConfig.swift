import PluginKit

/// `audit:`: every mutating operation carries a reason at least this long.
public struct AuditConfig: Sendable, Equatable {
  public var minReasonLength = 15

  public init() {}

  static let keys = ["min_reason_length"]

  init(reading section: ConfigSection?) {
    guard let section else { return }
    minReasonLength = section.int("min_reason_length", default: minReasonLength, .range(1...1000))
  }

  var json: JSONValue { ["min_reason_length": .number(minReasonLength)] }
}
