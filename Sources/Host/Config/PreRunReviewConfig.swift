import PluginKit

/// `pre_run_review:`: an AI review of a stage's code before it is launched.
public struct PreRunReviewConfig: Sendable, Equatable {
  public var enabled = true
  public var model = "claude-opus-4-5-20251101"
  public var timeoutSeconds = 60
  public var maxTurns = 30

  public init() {}

  static let keys = ["enabled", "model", "timeout_seconds", "max_turns"]

  init(reading section: ConfigSection?) {
    guard let section else { return }
    enabled = section.bool("enabled", default: enabled)
    model = section.string("model", default: model)
    timeoutSeconds = section.int("timeout_seconds", default: timeoutSeconds, .atLeast(1))
    maxTurns = section.int("max_turns", default: maxTurns, .atLeast(1))
  }

  var json: JSONValue {
    [
      "enabled": .bool(enabled), "model": .string(model), "timeout_seconds": .number(timeoutSeconds),
      "max_turns": .number(maxTurns),
    ]
  }
}
