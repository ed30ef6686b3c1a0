import Foundation
import PluginKit

/// `svs:`: the semantic validation system that checks stage outputs and watches runs.
public struct SVSConfig: Sendable, Equatable {
  public enum Domain: String, Sendable, CaseIterable {
    case `default`
    case nlpTokenizer = "nlp_tokenizer"
    case imageEmbeddings = "image_embeddings"
    case tabularFeatures = "tabular_features"
  }
  public enum Policy: String, Sendable, CaseIterable { case fail, warn, ignore }
  public enum Enforcement: String, Sendable, CaseIterable { case blocking, warning, silent }
  /// "null" (quoted in YAML) is a real provider that does nothing; an empty value means meerkat.
  public enum AgentProvider: String, Sendable, CaseIterable {
    case meerkat
    case anthropicAPI = "anthropic_api"
    case codexCLI = "codex_cli"
    case geminiCLI = "gemini_cli"
    case null
  }

  public var enabled = true
  /// Allows a during-run interval under 60 seconds, for tests.
  public var testMode = false
  public var domain = Domain.default
  public var defaultPolicy = Policy.warn
  public var defaultEnforcement = Enforcement.warning
  public var statsEnabled = true
  public var aiPreRunEnabled = true
  public var aiPostRunEnabled = true
  public var aiDuringRunEnabled = true
  public var aiDuringRunIntervalSeconds = 300
  public var aiDuringRunMinMetrics = 1
  public var aiDuringRunMinLogLines = 1
  public var aiDuringRunMaxRunsPerHour = 12
  public var aiDuringRunAutoStop = false
  /// Regular expressions selecting the log lines the reviewer sees.
  public var aiDuringRunLogFilters = [".*"]
  public var aiDuringRunLogMaxLines = 200
  public var aiDuringRunLogMaxBytes = 16384
  public var aiDuringRunLogFileMaxBytes = 10_000_000
  public var aiDuringRunSummaryMaxChars = 1200
  public var agentProvider = AgentProvider.meerkat
  public var agentModel: String?
  public var agentFallbackModel: String?
  public var agentTimeout = 120
  public var agentMaxTurns = 30
  public var rateLimitPerHour = 60
  public var autoLearnFailures = false
  /// The during-run rules over metrics (MetricHealth).
  public var metricHealth = MetricHealthConfig()

  public init() {}

  static let keys = [
    "enabled", "test_mode", "domain", "default_policy", "default_enforcement", "stats_enabled", "ai_pre_run_enabled",
    "ai_post_run_enabled", "ai_during_run_enabled", "ai_during_run_interval_seconds", "ai_during_run_min_metrics",
    "ai_during_run_min_log_lines", "ai_during_run_max_runs_per_hour", "ai_during_run_auto_stop",
    "ai_during_run_log_filters", "ai_during_run_log_max_lines", "ai_during_run_log_max_bytes",
    "ai_during_run_log_file_max_bytes", "ai_during_run_summary_max_chars", "agent_provider", "agent_model",
    "agent_fallback_model", "agent_timeout", "agent_max_turns", "rate_limit_per_hour", "auto_learn_failures",
  ]

  init(reading section: ConfigSection?) {
    guard let section else { return }
    enabled = section.bool("enabled", default: enabled)
    testMode = section.bool("test_mode", default: testMode)
    domain = section.choice("domain", default: domain)
    defaultPolicy = section.choice("default_policy", default: defaultPolicy)
    defaultEnforcement = section.choice("default_enforcement", default: defaultEnforcement)
    statsEnabled = section.bool("stats_enabled", default: statsEnabled)
    aiPreRunEnabled = section.bool("ai_pre_run_enabled", default: aiPreRunEnabled)
    aiPostRunEnabled = section.bool("ai_post_run_enabled", default: aiPostRunEnabled)
    aiDuringRunEnabled = section.bool("ai_during_run_enabled", default: aiDuringRunEnabled)
    // Reviews more often than once a minute cost more than they find, except in tests.
    aiDuringRunIntervalSeconds = section.int(
      "ai_during_run_interval_seconds", default: aiDuringRunIntervalSeconds, .atLeast(testMode ? 10 : 60))
    aiDuringRunMinMetrics = section.int("ai_during_run_min_metrics", default: aiDuringRunMinMetrics, .atLeast(0))
    aiDuringRunMinLogLines = section.int("ai_during_run_min_log_lines", default: aiDuringRunMinLogLines, .atLeast(0))
    aiDuringRunMaxRunsPerHour = section.int(
      "ai_during_run_max_runs_per_hour", default: aiDuringRunMaxRunsPerHour, .atLeast(1))
    aiDuringRunAutoStop = section.bool("ai_during_run_auto_stop", default: aiDuringRunAutoStop)
    aiDuringRunLogFilters = Self.patterns(section, "ai_during_run_log_filters") ?? aiDuringRunLogFilters
    aiDuringRunLogMaxLines = section.int("ai_during_run_log_max_lines", default: aiDuringRunLogMaxLines, .atLeast(1))
    aiDuringRunLogMaxBytes = section.int("ai_during_run_log_max_bytes", default: aiDuringRunLogMaxBytes, .atLeast(1))
    aiDuringRunLogFileMaxBytes = section.int(
      "ai_during_run_log_file_max_bytes", default: aiDuringRunLogFileMaxBytes, .atLeast(1))
    aiDuringRunSummaryMaxChars = section.int(
      "ai_during_run_summary_max_chars", default: aiDuringRunSummaryMaxChars, .atLeast(1))
    agentProvider = section.choice("agent_provider", default: agentProvider)
    agentModel = section.optionalString("agent_model")
    agentFallbackModel = section.optionalString("agent_fallback_model")
    agentTimeout = section.int("agent_timeout", default: agentTimeout, .atLeast(1))
    agentMaxTurns = section.int("agent_max_turns", default: agentMaxTurns, .atLeast(1))
    rateLimitPerHour = section.int("rate_limit_per_hour", default: rateLimitPerHour, .atLeast(1))
    autoLearnFailures = section.bool("auto_learn_failures", default: autoLearnFailures)
    metricHealth = MetricHealthConfig(reading: section)
  }

  /// Each pattern must compile now, not when the first run's logs are filtered.
  private static func patterns(_ section: ConfigSection, _ name: String) -> [String]? {
    guard let patterns = section.optionalStrings(name) else { return nil }
    for (index, pattern) in patterns.enumerated() where (try? NSRegularExpression(pattern: pattern)) == nil {
      section.problems.add(
        ConfigError.invalid(
          section.document, "\(section.key(name))[\(index)]", "\"\(pattern)\" is not a valid regular expression",
          hint: "use \".*\" to keep every line"))
    }
    return patterns
  }

  var json: JSONValue {
    let fields: JSONValue = [
      "enabled": .bool(enabled), "test_mode": .bool(testMode), "domain": .string(domain.rawValue),
      "default_policy": .string(defaultPolicy.rawValue), "default_enforcement": .string(defaultEnforcement.rawValue),
      "stats_enabled": .bool(statsEnabled), "ai_pre_run_enabled": .bool(aiPreRunEnabled),
      "ai_post_run_enabled": .bool(aiPostRunEnabled), "ai_during_run_enabled": .bool(aiDuringRunEnabled),
      "ai_during_run_interval_seconds": .number(aiDuringRunIntervalSeconds),
      "ai_during_run_min_metrics": .number(aiDuringRunMinMetrics),
      "ai_during_run_min_log_lines": .number(aiDuringRunMinLogLines),
      "ai_during_run_max_runs_per_hour": .number(aiDuringRunMaxRunsPerHour),
      "ai_during_run_auto_stop": .bool(aiDuringRunAutoStop), "ai_during_run_log_filters": .list(aiDuringRunLogFilters),
      "ai_during_run_log_max_lines": .number(aiDuringRunLogMaxLines),
      "ai_during_run_log_max_bytes": .number(aiDuringRunLogMaxBytes),
      "ai_during_run_log_file_max_bytes": .number(aiDuringRunLogFileMaxBytes),
      "ai_during_run_summary_max_chars": .number(aiDuringRunSummaryMaxChars),
      "agent_provider": .string(agentProvider.rawValue), "agent_model": .optional(agentModel),
      "agent_fallback_model": .optional(agentFallbackModel), "agent_timeout": .number(agentTimeout),
      "agent_max_turns": .number(agentMaxTurns), "rate_limit_per_hour": .number(rateLimitPerHour),
      "auto_learn_failures": .bool(autoLearnFailures),
    ]
    return .object((fields.objectValue ?? [:]).merging(metricHealth.json) { first, _ in first })
  }
}
