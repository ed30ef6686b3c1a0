import Foundation
import PluginKit
import Yams

/// The configuration a stage runs with: `configs/<stage>.yaml` layered over the pipeline's
/// `defaults:` and under a runtime override, plus the reserved keys pulled out of it.
///
/// Merge order, lowest first: the stage's `defaults:` in the pipeline → `configs/<stage>.yaml` → the
/// runtime override. A later layer replaces a key of an earlier one, except that when both hold a
/// mapping under the same top-level key the two mappings are merged (one level deep), so an
/// override of `compute: {profile: h100-spot}` keeps the file's `compute.max_runtime_seconds`.
/// Upstream merges shallowly when validating and one level deep when launching; we use one rule
/// for both so what validates is what runs.
public struct StageConfig: Sendable, Equatable {
  /// The merged mapping, reserved keys included: what the stage reads with `get_config()`.
  public var values: JSONValue
  /// `compute.profile`; nil means the default profile.
  public var profileName: String?
  /// `compute.max_runtime_seconds`, always > 0 when set.
  public var maxRuntimeSeconds: Int?
  /// `compute.capacity_wait_seconds`.
  public var capacityWaitSeconds: Int?
  /// `environment:` with values as strings; GOLDFISH_* keys are dropped (the host owns them).
  public var environment: [String: String]
  /// `hints:`, stored on the run as they are.
  public var hints: JSONValue?
  /// `dashboard_metrics:`, metric names shown first when a run is inspected.
  public var dashboardMetrics: [String]
  /// Whether `configs/<stage>.yaml` exists.
  public var fileExists: Bool
  /// `checkpoints_from:`, earlier runs whose checkpoints the host stages for the stage's
  /// `load_checkpoint(name, run_id=…)`, on every backend.
  public var checkpointsFrom: [String] = []

  public static let reservedComputeKeys = ["profile", "max_runtime_seconds", "capacity_wait_seconds"]

  /// The file of a stage's config, relative to the workspace.
  public static func file(for stage: String) -> String { "configs/\(stage).yaml" }

  /// Loads and merges; throws `stage_config_invalid` on the first error (a missing file is fine).
  public static func load(
    workspaceDirectory: String, stage: String, defaults: JSONValue? = nil, override: JSONValue? = nil
  ) throws(GoldfishError) -> StageConfig {
    let (config, issues) = read(
      workspaceDirectory: workspaceDirectory, stage: stage, defaults: defaults, override: override)
    if let error = issues.asError(.stageConfigInvalid) { throw error }
    return config
  }

  /// Layers mappings in order, later ones winning, nested mappings merged one level deep.
  public static func merge(_ layers: [JSONValue?]) -> JSONValue {
    var merged: [String: JSONValue] = [:]
    for layer in layers {
      for (key, value) in layer?.objectValue ?? [:] {
        if let old = merged[key]?.objectValue, let new = value.objectValue {
          merged[key] = .object(old.merging(new) { _, later in later })
        } else {
          merged[key] = value
        }
      }
    }
    return .object(merged)
  }

  /// Everything `load` does, but reporting every problem instead of throwing.
  static func read(
    workspaceDirectory: String, stage: String, defaults: JSONValue?, override: JSONValue?
  )
    -> (StageConfig, [PipelineIssue])
  {
    let result = readDocument(
      workspaceDirectory: workspaceDirectory, stage: stage, defaults: defaults, override: override)
    return (result.config, result.issues)
  }

  struct ReadResult {
    var config: StageConfig
    var issues: [PipelineIssue]
    /// The parsed file, for the lines of its keys; nil when missing or unreadable.
    var document: ConfigDocument?
  }

  static func readDocument(
    workspaceDirectory: String, stage: String, defaults: JSONValue?, override: JSONValue?
  )
    -> ReadResult
  {
    let relative = file(for: stage)
    var issues: [PipelineIssue] = []
    var document: ConfigDocument?
    var exists = false
    do throws(GoldfishError) {
      let path = try PathConfinement.resolve(relative, under: workspaceDirectory)
      if let text = try YAMLLimits.read(path, file: relative) {
        exists = true
        try YAMLLimits.check(text, file: relative)
        if let node = try? Yams.compose(yaml: text), node.mapping == nil {
          issues.append(
            PipelineIssue(.error, file: relative, line: 1, stage: stage, "must be a mapping of settings (key: value)"))
        } else {
          document = try ConfigDocument(yaml: text, path: relative)
        }
      } else {
        issues.append(
          PipelineIssue(.warning, file: relative, stage: stage, "no \(relative); the stage runs with an empty config"))
      }
    } catch {
      issues.append(PipelineIssue(.error, file: relative, stage: stage, error.message))
    }
    let values = merge([defaults, document?.root, override])
    var config = StageConfig(
      values: values, profileName: nil, maxRuntimeSeconds: nil, capacityWaitSeconds: nil, environment: [:], hints: nil,
      dashboardMetrics: [], fileExists: exists)
    var reader = ReservedKeys(stage: stage, file: relative, document: document)
    reader.interpret(values, into: &config)
    return ReadResult(config: config, issues: issues + reader.issues, document: document)
  }
}

/// Reads the reserved keys (compute, environment, hints, dashboard_metrics) of a merged config.
private struct ReservedKeys {
  let stage: String
  let file: String
  let document: ConfigDocument?
  var issues: [PipelineIssue] = []

  mutating func interpret(_ values: JSONValue, into config: inout StageConfig) {
    if let compute = values["compute"], !compute.isNull {
      if let fields = compute.objectValue {
        self.compute(fields, into: &config)
      } else {
        error("compute", "compute: should be a mapping (profile:, max_runtime_seconds:, capacity_wait_seconds:)")
      }
    }
    if let environment = values["environment"], !environment.isNull {
      if let fields = environment.objectValue {
        self.environment(fields, into: &config)
      } else {
        error("environment", "environment: should be a mapping of VARIABLE: value")
      }
    }
    if let hints = values["hints"], !hints.isNull { config.hints = hints }
    if let runs = values[StageCheckpoints.configKey], !runs.isNull { checkpointsFrom(runs, into: &config) }
    if let metrics = values["dashboard_metrics"], !metrics.isNull {
      guard let items = metrics.arrayValue else {
        error("dashboard_metrics", "dashboard_metrics: should be a list of metric names")
        return
      }
      for (index, item) in items.enumerated() {
        guard let name = item.stringValue else {
          error("dashboard_metrics[\(index)]", "dashboard_metrics entries should be metric names (strings)")
          continue
        }
        do throws(GoldfishError) {
          try Names.metric(name)
          config.dashboardMetrics.append(name)
        } catch {
          self.error("dashboard_metrics[\(index)]", error.message)
        }
      }
    }
  }

  private mutating func checkpointsFrom(_ value: JSONValue, into config: inout StageConfig) {
    let key = StageCheckpoints.configKey
    let items = value.stringValue.map { [JSONValue.string($0)] } ?? value.arrayValue
    guard let items else {
      error(key, "\(key): should be a stage run id (stage-…) or a list of them")
      return
    }
    for (index, item) in items.enumerated() {
      guard let id = item.stringValue, StageCheckpoints.isRunID(id) else {
        error("\(key)[\(index)]", "\(key) entries should be stage run ids such as stage-0123abcd (see list_runs)")
        continue
      }
      if !config.checkpointsFrom.contains(id) { config.checkpointsFrom.append(id) }
    }
  }

  private mutating func compute(_ fields: [String: JSONValue], into config: inout StageConfig) {
    for key in fields.keys.sorted() where !StageConfig.reservedComputeKeys.contains(key) {
      let suggestion =
        Suggest.closest(to: key, in: StageConfig.reservedComputeKeys).map { " (did you mean \"\($0)\"?)" } ?? ""
      warning(
        "compute.\(key)",
        "compute.\(key) is not used by goldfish\(suggestion); known keys: "
          + StageConfig.reservedComputeKeys.joined(separator: ", "))
    }
    if let profile = fields["profile"], !profile.isNull {
      if let name = profile.stringValue, !name.isEmpty {
        config.profileName = name
      } else {
        error("compute.profile", "compute.profile should be a profile name such as cpu-small")
      }
    }
    if let seconds = fields["max_runtime_seconds"], !seconds.isNull {
      if case .int(let value) = seconds, value > 0, value <= ConfigBound<Int>.maxSeconds {
        config.maxRuntimeSeconds = Int(value)
      } else {
        error(
          "compute.max_runtime_seconds",
          "compute.max_runtime_seconds should be a whole number of seconds from 1 to \(ConfigBound<Int>.maxSeconds) (366 days)"
        )
      }
    }
    if let seconds = fields["capacity_wait_seconds"], !seconds.isNull {
      if case .int(let value) = seconds, value >= 0, value <= ConfigBound<Int>.maxSeconds {
        config.capacityWaitSeconds = Int(value)
      } else {
        error(
          "compute.capacity_wait_seconds",
          "compute.capacity_wait_seconds should be a whole number of seconds from 0 to \(ConfigBound<Int>.maxSeconds) (366 days)"
        )
      }
    }
  }

  private mutating func environment(_ fields: [String: JSONValue], into config: inout StageConfig) {
    for key in fields.keys.sorted() {
      let path = "environment.\(key)"
      guard Self.isVariableName(key) else {
        error(
          path,
          "environment variable \(NameRule.quoted(key)) is not a valid name; use letters, digits and _, not starting with a digit"
        )
        continue
      }
      if key.hasPrefix("GOLDFISH_") {
        warning(path, "environment.\(key) is ignored: GOLDFISH_* variables are set by goldfish itself")
        continue
      }
      let value: String
      switch fields[key] ?? .null {
      case .string(let text): value = text
      case .int(let number): value = String(number)
      case .double(let number): value = String(number)
      case .bool(let flag): value = flag ? "true" : "false"
      default:
        error(path, "environment.\(key) should be a string, number or boolean")
        continue
      }
      guard !value.unicodeScalars.contains("\0") else {
        error(path, "environment.\(key) contains a NUL byte, which no process environment can hold")
        continue
      }
      config.environment[key] = value
    }
  }

  static func isVariableName(_ name: String) -> Bool {
    let scalars = Array(name.unicodeScalars)
    guard let first = scalars.first else { return false }
    func letter(_ s: Unicode.Scalar) -> Bool { (s >= "A" && s <= "Z") || (s >= "a" && s <= "z") || s == "_" }
    return letter(first) && scalars.allSatisfy { letter($0) || ($0 >= "0" && $0 <= "9") }
  }

  private mutating func error(_ keyPath: String, _ message: String) {
    issues.append(PipelineIssue(.error, file: file, line: document?.line(of: keyPath), stage: stage, message))
  }

  private mutating func warning(_ keyPath: String, _ message: String) {
    issues.append(PipelineIssue(.warning, file: file, line: document?.line(of: keyPath), stage: stage, message))
  }
}
