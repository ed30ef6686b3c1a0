import PluginKit

/// `state_md:`: the journal an agent reads to get its bearings after losing its context.
public struct StateMDConfig: Sendable, Equatable {
  /// Relative to the project folder.
  public var path = "STATE.md"
  /// How many recent actions STATE.md lists.
  public var maxRecentActions = 15

  public init() {}

  static let keys = ["path", "max_recent_actions"]

  init(reading section: ConfigSection?) {
    guard let section else { return }
    path = section.relativePath("path", default: path)
    maxRecentActions = section.int("max_recent_actions", default: maxRecentActions, .range(1...1000))
  }

  var json: JSONValue { ["path": .string(path), "max_recent_actions": .number(maxRecentActions)] }
}
