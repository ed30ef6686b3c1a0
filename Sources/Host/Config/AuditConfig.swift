import PluginKit

/// `audit:`: every mutating operation carries a reason at least this long, and the experiment
/// discipline an agent's `run` is held to.
public struct AuditConfig: Sendable, Equatable {
  public var minReasonLength = 15
  /// MCP `run` (not a dry run) needs a `results_spec`: what the run is expected to show.
  public var requireResultsSpec = true
  /// MCP `run` is refused while the workspace has ended runs nobody finalized.
  public var finalizationGate = true
  /// `goldfish run` (a person at a terminal) is held to the two rules above too; by default it
  /// only warns about unfinalized runs, so a quick check by hand is never blocked.
  public var enforceOnCLI = false

  public init() {}

  static let keys = ["min_reason_length", "require_results_spec", "finalization_gate", "enforce_on_cli"]

  init(reading section: ConfigSection?) {
    guard let section else { return }
    minReasonLength = section.int("min_reason_length", default: minReasonLength, .range(1...1000))
    requireResultsSpec = section.bool("require_results_spec", default: requireResultsSpec)
    finalizationGate = section.bool("finalization_gate", default: finalizationGate)
    enforceOnCLI = section.bool("enforce_on_cli", default: enforceOnCLI)
  }

  var json: JSONValue {
    [
      "min_reason_length": .number(minReasonLength), "require_results_spec": .bool(requireResultsSpec),
      "finalization_gate": .bool(finalizationGate), "enforce_on_cli": .bool(enforceOnCLI),
    ]
  }
}
