import PluginKit

/// `pre_run_review:`: an optional reviewer command that reads a stage's change before it is
/// launched and answers findings (docs/review.md). No reviewer runs unless `command` is set.
public struct PreRunReviewConfig: Sendable, Equatable {
  public var enabled = true
  public var model = "claude-opus-4-5-20251101"
  public var timeoutSeconds = 60
  public var maxTurns = 30
  /// The reviewer program and its arguments (argv, never a shell string): one JSON document on
  /// stdin, JSON findings on stdout.
  public var command: [String] = []

  public init() {}

  static let keys = ["enabled", "model", "timeout_seconds", "max_turns", "command"]

  init(reading section: ConfigSection?) {
    guard let section else { return }
    enabled = section.bool("enabled", default: enabled)
    model = section.string("model", default: model)
    timeoutSeconds = section.int("timeout_seconds", default: timeoutSeconds, .seconds)
    maxTurns = section.int("max_turns", default: maxTurns, .atLeast(1))
    command = section.strings("command")
  }

  var json: JSONValue {
    [
      "enabled": .bool(enabled), "model": .string(model), "timeout_seconds": .number(timeoutSeconds),
      "max_turns": .number(maxTurns), "command": .list(command),
    ]
  }
}
